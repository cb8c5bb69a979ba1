// A Nomad transport whose calls another thread can abandon at once: what a blocking query needs so
// that a daemon shutting down does not wait out the query's `wait` (up to 300 s). interrupt() starts a
// new epoch; every call of an older epoch, in flight or not yet sent, fails at once and closes its
// connection (Nomad sees the client go away and drops the query). Calls go through a Transport bound
// to the epoch they belong to (bound()), so a Client can use it unchanged.
#pragma once

#include <cstdint>
#include <memory>

#include "common/error.hpp"
#include "common/http_types.hpp"
#include "jobs/nomad/config.hpp"
#include "jobs/nomad/transport.hpp"

namespace nbs::jobs::nomad {

// The message of the error an interrupted call fails with; its kind is internal, so that the client's
// retries (retry.hpp) give up at once instead of trying again.
inline constexpr std::string_view k_interrupted = "nomad: call interrupted";
bool is_interrupted(const Error& error);

class CancellableTransport : public std::enable_shared_from_this<CancellableTransport> {
 public:
  // With the TLS options of `config`; fails when a TLS file cannot be loaded.
  static Result<std::shared_ptr<CancellableTransport>> create(const Config& config);
  // interrupt() throws only std::bad_alloc (net::post), and a destructor out of memory ends the process.
  ~CancellableTransport();  // NOLINT(bugprone-exception-escape): only std::bad_alloc, see above
  CancellableTransport(const CancellableTransport&) = delete;
  CancellableTransport& operator=(const CancellableTransport&) = delete;

  std::uint64_t epoch() const;

  // Makes every call of the current epoch (and of earlier ones) fail now, and starts a new epoch.
  void interrupt();

  // A Transport whose calls belong to `epoch`: they fail at once (is_interrupted) once interrupt() has
  // been called after `epoch` was read.
  std::shared_ptr<Transport> bound(std::uint64_t epoch);

  struct Impl;  // the io_context, its thread, the HTTP client and the calls in flight

 private:
  explicit CancellableTransport(std::unique_ptr<Impl> impl);
  friend class EpochTransport;
  Result<HttpResponse> call(const HttpRequest& request, const BodySink* sink, std::uint64_t epoch);

  std::unique_ptr<Impl> impl_;
};

}  // namespace nbs::jobs::nomad
