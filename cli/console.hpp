// Where a command writes and how: a person's terminal (human text, a live progress line on a TTY) or
// a script (--json: the daemon's answers as JSON documents on stdout). Errors go to `err`, or as JSON
// to `out` under --json.
#pragma once

#include <chrono>
#include <functional>
#include <iostream>
#include <thread>

#include "cli/exit_code.hpp"
#include "cli/progress_display.hpp"
#include "common/error.hpp"

namespace nbs::cli {

enum class OutputFormat { human, json };

struct Console {
  std::ostream& out = std::cout;
  std::ostream& err = std::cerr;
  std::istream& in = std::cin;
  OutputFormat format = OutputFormat::human;
  DisplayMode display = DisplayMode::plain;  // live only on a terminal
  std::size_t width = 0;                     // the terminal's columns, 0 when unknown
  // How the follow and watch loops wait between polls (tests make it instant).
  std::function<void(std::chrono::milliseconds)> pause = [](std::chrono::milliseconds d) {
    std::this_thread::sleep_for(d);
  };

  bool json() const { return format == OutputFormat::json; }
};

// Shows `error` (format_error, or error_json under --json) and returns its exit code. `context` names
// what the daemon rejected, for field errors.
ExitCode report_error(Console& console, const Error& error, std::string_view context = "");

}  // namespace nbs::cli
