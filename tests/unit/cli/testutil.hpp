// Test support for the nbs client: a scripted stand-in for the daemon's HTTP answers, a Console over
// string streams with instant pauses, and a temporary directory per test.
#pragma once

#include <deque>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "cli/console.hpp"
#include "cli/daemon_client.hpp"

namespace nbs::cli::testing {

inline HttpResponse json_response(int status, const std::string& body) {
  return HttpResponse{status, {}, body};
}

// Answers requests from a queue (in order), recording each request; an empty queue answers 500.
struct FakeDaemon {
  std::deque<Result<HttpResponse>> answers;
  std::vector<HttpRequest> requests;

  void reply(int status, const std::string& body) { answers.emplace_back(json_response(status, body)); }
  void fail(ErrorKind kind, const std::string& message) { answers.emplace_back(make_error(kind, message)); }

  DaemonClient client(const std::string& url = "http://127.0.0.1:8080", const std::string& token = "") {
    return DaemonClient(
        DaemonOptions{url, token, ""}, [this](const HttpRequest& request) -> Result<HttpResponse> {
          requests.push_back(request);
          if (answers.empty()) {
            return json_response(500, R"({"error":"fake: no answer left","code":"internal","details":[]})");
          }
          auto next = std::move(answers.front());
          answers.pop_front();
          return next;
        });
  }
};

// A Console writing to strings, plain display, pauses that return at once (and are counted).
struct TestConsole {
  std::ostringstream out;
  std::ostringstream err;
  std::istringstream in;
  int pauses = 0;
  Console console{out, err, in};

  explicit TestConsole(OutputFormat format = OutputFormat::human, std::string stdin_text = "")
      : in(std::move(stdin_text)) {
    console.format = format;
    console.pause = [this](std::chrono::milliseconds) { ++pauses; };
  }
};

// A fresh directory under the system's temporary directory, removed afterwards.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::temp_directory_path() / ("nbs-cli-test-" + std::to_string(::getpid()) + "-" +
                                                      info->test_suite_name() + "-" + info->name());
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // Writes `text` to `name` in the directory; returns its path.
  std::string write(const std::string& name, const std::string& text) const {
    const auto file = path_ / name;
    std::ofstream(file, std::ios::binary) << text;
    return file.string();
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace nbs::cli::testing
