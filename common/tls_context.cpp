#include "common/tls_context.hpp"

namespace nbs {
namespace ssl = boost::asio::ssl;

namespace {

Error tls_file_error(std::string_view option, const std::string& path, const boost::system::error_code& ec) {
  return make_error(ErrorKind::invalid_argument,
                    "tls." + std::string(option) + ": cannot load " + path + ": " + ec.message());
}

}  // namespace

Result<std::shared_ptr<ssl::context>> make_tls_context(const TlsOptions& options) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  boost::system::error_code ec;
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                       ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1,
                   ec);
  if (!options.ca_file.empty()) {
    if (ctx->load_verify_file(options.ca_file, ec); ec) {
      return tls_file_error("ca_file", options.ca_file, ec);
    }
  }
  if (!options.ca_path.empty()) {
    if (ctx->add_verify_path(options.ca_path, ec); ec) {
      return tls_file_error("ca_path", options.ca_path, ec);
    }
  }
  if (options.ca_file.empty() && options.ca_path.empty()) {
    if (ctx->set_default_verify_paths(ec); ec) {
      return tls_file_error("ca_file", "the system trust store", ec);
    }
  }
  if (options.client_cert.empty() != options.client_key.empty()) {
    return make_error(ErrorKind::invalid_argument, "tls: client_cert and client_key must be given together");
  }
  if (!options.client_cert.empty()) {
    if (ctx->use_certificate_chain_file(options.client_cert, ec); ec) {
      return tls_file_error("client_cert", options.client_cert, ec);
    }
    if (ctx->use_private_key_file(options.client_key, ssl::context::pem, ec); ec) {
      return tls_file_error("client_key", options.client_key, ec);
    }
  }
  ctx->set_verify_mode(options.verify == TlsVerify::peer ? ssl::verify_peer : ssl::verify_none, ec);
  return ctx;
}

}  // namespace nbs
