// Stands in for nbs-runner (and podman) in the executor's and orchestrator's tests. As a runner it reads
// its spec (`<phase> --spec FILE ...`) and acts out spec.fake: {"lines": [...], "sleep_ms": N, "exit": N,
// "ignore_term": bool}, or the same from the request's build_args FAKE_<PHASE>_EXIT / FAKE_<PHASE>_SLEEP_MS
// (and FAKE_<PHASE>_STEP "n/m text": one Buildah step event; FAKE_<PHASE>_SPEC_COPY: a file to copy the
// spec to, as the phase got it); "orphan_pid_file": PATH forks a child in
// its own process group that ignores SIGTERM and writes its pid there;
// then writes {"digest": ...} to spec.result_path. As podman (first argument "run") it prints its
// arguments, one per line, and exits 0, or 7 when the last argument contains "fail", or sleeps 30 s
// when it contains "hang", or prints a runtime's "no /bin/sh" error and exits 127 when it contains
// "noshell". Other podman commands (ps, rm, rmi, stop, untag, image) append their arguments as one line to
// $FAKE_PODMAN_LOG (when set); `ps` prints the lines of $FAKE_PODMAN_PS; `cp` (a test report) then
// answers as podman does for a path the container does not have. Podman's global options (each with its
// value: --root DIR, --runroot DIR, ...) may come before the command, and are logged and printed too.
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <signal.h>
#include <sstream>
#include <thread>
#include <unistd.h>

#include <boost/json.hpp>
#include <boost/json/src.hpp>

namespace json = boost::json;

namespace {

// Tests read the copy as soon as it exists: write it whole under another name, then rename it into place.
void write_spec_copy(const std::string& path, const std::string& text) {
  const std::string partial = path + ".partial";
  std::ofstream(partial) << text;
  std::rename(partial.c_str(), path.c_str());
}

}  // namespace

// A test tool: an exception it does not expect ends it in std::terminate, which prints the exception and
// aborts, and the test that runs it fails on that.
// NOLINTNEXTLINE(bugprone-exception-escape): terminate is the right end for a test tool, see above
int main(int argc, char** argv) {
  int at = 1;  // podman's command, after its global options
  while (at + 1 < argc && std::string(argv[at]).starts_with("--")) {
    at += 2;
  }
  const std::string command = argc > at ? argv[at] : "";
  if (command == "run") {
    for (int i = 1; i < argc; ++i) {
      std::cout << argv[i] << "\n";
    }
    std::cout.flush();
    const std::string last = argv[argc - 1];
    if (last.find("hang") != std::string::npos) {
      std::this_thread::sleep_for(std::chrono::seconds(30));
    }
    if (last.find("noshell") != std::string::npos) {
      std::cerr << "Error: runc: runc create failed: unable to start container process: exec: \"/bin/sh\": "
                   "stat /bin/sh: no such file or directory: OCI runtime attempted to invoke a command that "
                   "was not found\n";
      return 127;
    }
    return last.find("fail") != std::string::npos ? 7 : 0;
  }
  if (command == "ps" || command == "rm" || command == "rmi" || command == "stop" || command == "untag" ||
      command == "image" || command == "cp") {
    if (const char* log = std::getenv("FAKE_PODMAN_LOG")) {
      std::ofstream out(log, std::ios::app);
      for (int i = 1; i < argc; ++i) {
        out << (i > 1 ? " " : "") << argv[i];
      }
      out << "\n";
    }
    if (const char* listed = std::getenv("FAKE_PODMAN_PS"); listed && command == "ps") {
      std::cout << listed;
    }
    if (command == "cp" && argc > at + 1) {
      const std::string source = argv[at + 1];
      std::cerr << "Error: \"" << source.substr(source.find(':') + 1)
                << "\" could not be found on container: no such file or directory\n";
      return 125;
    }
    return 0;
  }
  if (argc < 4) {
    std::cerr << "fake runner: usage: PHASE --spec FILE\n";
    return 2;
  }
  std::ifstream in(argv[3]);
  std::stringstream text;
  text << in.rdbuf();
  const json::object spec = json::parse(text.str()).as_object();
  json::object fake = spec.contains("fake") ? spec.at("fake").as_object() : json::object{};
  if (const auto* copy = fake.if_contains("spec_copy")) {  // the spec as the phase got it
    write_spec_copy(std::string(copy->as_string()), text.str());
  }
  std::string phase = argv[1];
  for (auto& c : phase) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  if (const auto* request = spec.if_contains("request");
      request && request->as_object().contains("build_args")) {
    const auto& args = request->at("build_args").as_object();
    if (const auto* code = args.if_contains("FAKE_" + phase + "_EXIT")) {
      fake["exit"] = std::stoi(std::string(code->as_string()));
    }
    if (const auto* sleep = args.if_contains("FAKE_" + phase + "_SLEEP_MS")) {
      fake["sleep_ms"] = std::stoi(std::string(sleep->as_string()));
    }
    if (const auto* copy = args.if_contains("FAKE_" + phase + "_SPEC_COPY")) {
      write_spec_copy(std::string(copy->as_string()), text.str());
    }
    if (const auto* step = args.if_contains("FAKE_" + phase + "_STEP")) {  // "n/m instruction"
      const std::string text(step->as_string());
      const auto slash = text.find('/'), space = text.find(' ');
      json::object event{{"ts", "2026-11-26T00:00:00.500Z"},
                         {"kind", "step"},
                         {"step", std::stoi(text.substr(0, slash))},
                         {"steps", std::stoi(text.substr(slash + 1, space - slash - 1))},
                         {"text", text.substr(space + 1)}};
      if (const auto* stage = args.if_contains("FAKE_" + phase + "_STAGE")) {
        event["stage"] = stage->as_string();
      }
      fake["lines"] = json::array{json::value(json::serialize(event))};
    }
  }
  if (fake.contains("ignore_term") && fake.at("ignore_term").as_bool()) {
    ::signal(SIGTERM, SIG_IGN);
  }
  if (const auto* file = fake.if_contains("orphan_pid_file")) {
    // Like Buildah under the runner: a child in a process group of its own, which outlives a killed
    // parent unless someone kills it.
    const pid_t child = ::fork();
    if (child == 0) {
      ::setpgid(0, 0);
      ::signal(SIGTERM, SIG_IGN);
      std::this_thread::sleep_for(std::chrono::seconds(120));
      ::_exit(0);
    }
    std::ofstream(std::string(file->as_string())) << child << "\n";
  }
  std::cout << "{\"ts\":\"2026-11-26T00:00:00.000Z\",\"kind\":\"phase_start\",\"phase\":\"" << argv[1]
            << "\"}" << std::endl;
  if (fake.contains("lines")) {
    for (const auto& line : fake.at("lines").as_array()) {
      std::cout << line.as_string().c_str() << std::endl;
    }
  }
  std::cerr << "on stderr" << std::endl;
  if (fake.contains("sleep_ms")) {
    std::this_thread::sleep_for(std::chrono::milliseconds(fake.at("sleep_ms").to_number<int>()));
  }
  const int code = fake.contains("exit") ? fake.at("exit").to_number<int>() : 0;
  if (code == 0) {
    std::ofstream(json::value_to<std::string>(spec.at("result_path")))
        << R"({"digest":"sha256:feed","size":42})";
  } else {
    // Like the real runner: a step event and Buildah's own STEP line for the same instruction.
    std::cout
        << R"({"ts":"2026-11-26T00:00:01.000Z","kind":"step","step":1,"steps":1,"text":"RUN make"})"
        << "\n"
        << R"({"ts":"2026-11-26T00:00:01.000Z","kind":"line","stream":"stdout","text":"STEP 1/1: RUN make"})"
        << std::endl;
    // The runner's narration (no stream), the step's own output, and the error tagged with its class.
    std::cout
        << R"({"ts":"2026-11-26T00:00:01.000Z","kind":"line","text":"$ buildah bud --layers ."})"
        << "\n"
        << R"({"ts":"2026-11-26T00:00:01.000Z","kind":"line","stream":"stdout","text":"make: *** [all] Error )"
        << code << R"("})"
        << "\n"
        << R"({"ts":"2026-11-26T00:00:01.000Z","kind":"error","class":"build_step_failed",)"
        << R"("location":"Dockerfile:3","text":"RUN make: exit status )" << code << R"("})" << std::endl;
  }
  return code;
}
