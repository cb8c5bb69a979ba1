// Stands in for nbs-runner (and podman) in the executor's and orchestrator's tests. As a runner it reads
// its spec (`<phase> --spec FILE ...`) and acts out spec.fake: {"lines": [...], "sleep_ms": N, "exit": N,
// "ignore_term": bool}, or the same from the request's build_args FAKE_<PHASE>_EXIT / FAKE_<PHASE>_SLEEP_MS
// (and FAKE_<PHASE>_STEP "n/m text": one Buildah step event);
// then writes {"digest": ...} to spec.result_path. As podman (first argument "run") it prints its
// arguments, one per line, and exits 0, or 7 when the last argument contains "fail", or sleeps 30 s
// when it contains "hang".
#include <cctype>
#include <chrono>
#include <fstream>
#include <iostream>
#include <signal.h>
#include <sstream>
#include <thread>
#include <unistd.h>

#include <boost/json.hpp>
#include <boost/json/src.hpp>

namespace json = boost::json;

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "run") {
    for (int i = 1; i < argc; ++i) {
      std::cout << argv[i] << "\n";
    }
    const std::string last = argv[argc - 1];
    if (last.find("hang") != std::string::npos) {
      std::this_thread::sleep_for(std::chrono::seconds(30));
    }
    return last.find("fail") != std::string::npos ? 7 : 0;
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
    if (const auto* step = args.if_contains("FAKE_" + phase + "_STEP")) {  // "n/m instruction"
      const std::string text(step->as_string());
      const auto slash = text.find('/'), space = text.find(' ');
      json::object event{{"ts", "2026-11-26T00:00:00.500Z"},
                         {"kind", "step"},
                         {"step", std::stoi(text.substr(0, slash))},
                         {"steps", std::stoi(text.substr(slash + 1, space - slash - 1))},
                         {"text", text.substr(space + 1)}};
      fake["lines"] = json::array{json::value(json::serialize(event))};
    }
  }
  if (fake.contains("ignore_term") && fake.at("ignore_term").as_bool()) {
    ::signal(SIGTERM, SIG_IGN);
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
    std::cout << R"({"ts":"2026-11-26T00:00:01.000Z","kind":"error","text":"RUN make: exit status )" << code
              << R"("})" << std::endl;
  }
  return code;
}
