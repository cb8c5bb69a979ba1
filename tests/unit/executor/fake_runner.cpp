// Stands in for nbs-runner (and podman) in the local executor's tests. As a runner it reads its spec
// (`<phase> --spec FILE ...`) and acts out spec.fake: {"lines": [...], "sleep_ms": N, "exit": N,
// "ignore_term": bool}; then writes {"digest": ...} to spec.result_path. As podman (first argument
// "run") it prints its arguments, one per line, and exits 0.
#include <signal.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <boost/json/src.hpp>
#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

namespace json = boost::json;

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "run") {
    for (int i = 1; i < argc; ++i) {
      std::cout << argv[i] << "\n";
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
  const json::object fake = spec.contains("fake") ? spec.at("fake").as_object() : json::object{};
  if (fake.contains("ignore_term") && fake.at("ignore_term").as_bool()) {
    ::signal(SIGTERM, SIG_IGN);
  }
  std::cout << "{\"ts\":\"2026-11-26T00:00:00.000Z\",\"kind\":\"phase_start\",\"phase\":\"" << argv[1] << "\"}"
            << std::endl;
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
    std::ofstream(json::value_to<std::string>(spec.at("result_path"))) << R"({"digest":"sha256:feed"})";
  }
  return code;
}
