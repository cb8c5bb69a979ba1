#include "tests/nomad_sim/test/test_util.hpp"

#include <thread>

#include <gtest/gtest.h>
#include <openssl/evp.h>

namespace nbs::nomad_sim::test {

json::object batch_job(const std::string& id, const std::vector<std::string>& argv) {
  json::array args;
  for (std::size_t i = 1; i < argv.size(); ++i) {
    args.push_back(json::value(argv[i]));
  }
  json::object task{{"Name", "t"},
                    {"Driver", "raw_exec"},
                    {"Config", json::object{{"command", argv.at(0)}, {"args", std::move(args)}}},
                    {"KillTimeout", 2'000'000'000}};
  json::object group{{"Name", "g"},
                     {"Count", 1},
                     {"RestartPolicy", json::object{{"Attempts", 0}, {"Mode", "fail"}}},
                     {"ReschedulePolicy", json::object{{"Attempts", 0}, {"Unlimited", false}}},
                     {"Tasks", json::array{std::move(task)}}};
  return json::object{
      {"Job", json::object{{"ID", id}, {"Type", "batch"}, {"TaskGroups", json::array{std::move(group)}}}}};
}

json::object& first_task(json::object& body) {
  return body["Job"].as_object()["TaskGroups"].as_array()[0].as_object()["Tasks"].as_array()[0].as_object();
}

json::object register_job(const SimClient& client, const json::object& body) {
  const HttpResult r = client.put("/v1/jobs", json::serialize(body));
  EXPECT_EQ(r.status, 200u) << r.body;
  const json::value v = r.json();
  return v.is_object() ? v.get_object() : json::object{};
}

std::string wait_first_alloc(const SimClient& client, const std::string& job_id,
                             std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    const json::value v = client.get("/v1/job/" + path_escape(job_id) + "/allocations").json();
    if (v.is_array() && !v.get_array().empty()) {
      return std::string(v.get_array()[0].at("ID").as_string());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return "";
}

json::object wait_alloc(const SimClient& client, const std::string& alloc_id,
                        const std::function<bool(const json::object&)>& done,
                        std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  json::object last;
  while (std::chrono::steady_clock::now() < deadline) {
    const json::value v = client.get("/v1/allocation/" + alloc_id).json();
    if (v.is_object()) {
      last = v.get_object();
      if (done(last)) {
        return last;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ADD_FAILURE() << "allocation " << alloc_id
                << " did not reach the expected state; last: " << json::serialize(last);
  return last;
}

bool alloc_terminal(const json::object& alloc) {
  const std::string s(alloc.at("ClientStatus").as_string());
  return s == "complete" || s == "failed" || s == "lost";
}

std::vector<std::string> event_types(const json::object& alloc, const std::string& task) {
  std::vector<std::string> out;
  const json::value* states = alloc.if_contains("TaskStates");
  if (states == nullptr || !states->is_object() || !states->get_object().contains(task)) {
    return out;
  }
  const json::value& events = states->get_object().at(task).at("Events");
  if (events.is_array()) {
    for (const auto& e : events.get_array()) {
      out.emplace_back(e.at("Type").as_string());
    }
  }
  return out;
}

json::object find_event(const json::object& alloc, const std::string& task, const std::string& type) {
  const json::value& events = alloc.at("TaskStates").at(task).at("Events");
  for (const auto& e : events.as_array()) {
    if (e.at("Type").as_string() == type) {
      return e.as_object();
    }
  }
  return {};
}

std::string path_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '/') {
      out += "%2F";
    } else {
      out += c;
    }
  }
  return out;
}

std::string decode_frames(const std::string& body, std::vector<json::object>* frames) {
  json::stream_parser p;
  std::string data;
  std::size_t pos = 0;
  while (pos < body.size()) {
    boost::system::error_code ec;
    const std::size_t n = p.write_some(body.data() + pos, body.size() - pos, ec);
    if (ec) {
      ADD_FAILURE() << "bad frame stream at " << pos << ": " << ec.message();
      break;
    }
    pos += n;
    if (!p.done()) {
      continue;
    }
    const json::value v = p.release();
    p.reset();
    const json::object& f = v.as_object();
    if (frames != nullptr) {
      frames->push_back(f);
    }
    if (const json::value* d = f.if_contains("Data")) {
      const std::string b64(d->as_string());
      std::string raw(b64.size(), '\0');
      const int len =
          EVP_DecodeBlock(reinterpret_cast<unsigned char*>(raw.data()),
                          reinterpret_cast<const unsigned char*>(b64.data()), static_cast<int>(b64.size()));
      std::size_t pad = 0;
      for (auto it = b64.rbegin(); it != b64.rend() && *it == '='; ++it) {
        ++pad;
      }
      raw.resize(static_cast<std::size_t>(len) - pad);
      data += raw;
    }
  }
  return data;
}

}  // namespace nbs::nomad_sim::test
