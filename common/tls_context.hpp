// The OpenSSL context of an HTTP client, built once from its TlsOptions: trust anchors, client
// certificate, verification mode. Shared by every TLS connection of that client.
#pragma once

#include <memory>

#include <boost/asio/ssl/context.hpp>

#include "common/error.hpp"
#include "common/http_client.hpp"

namespace nbs {

// TLS 1.2 or newer. Fails (invalid_argument, naming the option and file) when a file cannot be loaded
// or the key does not match the certificate.
Result<std::shared_ptr<boost::asio::ssl::context>> make_tls_context(const TlsOptions& options);

}  // namespace nbs
