// Fakes for the Nomad client's unit tests: a transport that answers from a script and records what
// it was asked, and a sleeper that records pauses instead of sleeping.
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "jobs/nomad/client.hpp"
#include "jobs/nomad/transport.hpp"

namespace nbs::jobs::nomad::testing {

class FakeTransport final : public Transport {
 public:
  // Queues an answer; answers are used in order, the last one repeats.
  void answer(int status, std::string body, HttpHeaders headers = {}) {
    answers_.push_back(HttpResponse{status, std::move(headers), std::move(body)});
  }
  void fail(Error error) { failures_.push_back(std::move(error)); }

  Result<HttpResponse> send(const HttpRequest& request) override {
    requests.push_back(request);
    if (!failures_.empty()) {
      auto e = failures_.front();
      failures_.pop_front();
      return e;
    }
    if (answers_.empty()) {
      return make_error(ErrorKind::internal, "fake transport: no answer scripted");
    }
    auto r = answers_.front();
    if (answers_.size() > 1) {
      answers_.pop_front();
    }
    return r;
  }

  Result<HttpResponse> stream(const HttpRequest& request, const BodySink& sink) override {
    auto r = send(request);
    if (!r || r->status < 200 || r->status >= 300) {
      return r;
    }
    // Deliver the body in small pieces, as a network would.
    const std::string body = std::move(r->body);
    r->body.clear();
    for (std::size_t i = 0; i < body.size(); i += chunk) {
      if (auto s = sink(std::string_view(body).substr(i, chunk)); !s) {
        return s.error();
      }
    }
    return r;
  }

  std::vector<HttpRequest> requests;
  std::size_t chunk = 7;

 private:
  std::deque<HttpResponse> answers_;
  std::deque<Error> failures_;
};

struct Harness {
  std::shared_ptr<FakeTransport> transport = std::make_shared<FakeTransport>();
  std::vector<std::chrono::milliseconds> sleeps;
  Client client;

  explicit Harness(Config config = {})
      : client(std::move(config), transport, [this](std::chrono::milliseconds d) { sleeps.push_back(d); }) {}
};

}  // namespace nbs::jobs::nomad::testing
