// nbs-load-client: the clients of measure 9 (load_bench.py, issue 13). N clients, each on one keep-alive
// HTTP/1.1 connection to nbs-mcpd, arrive over the load's first second and call in a loop, each call drawn
// from the mix (getStatus long-poll, getStatus, getLogs tail, getHistory, submitJob); B builders keep one
// build each running (submit, long-poll until it ends, again), and their jobs are what the clients look at.
// /health is sampled every 100 ms on a connection of its own.
//
// Why native: the Python clients it replaces (asyncio, 250 connections per event loop) shared the 2 cores
// with the daemon and added their own queueing when many long-polls woke together, so the figures measured
// them as much as the daemon (as wrk does for measure 6, the load comes from a lean client).
//
// Single-threaded: every client and builder is a coroutine on one io_context run by the main thread, so
// the load takes one core at most. /health is sampled by a second thread with its own io_context (mostly
// asleep), so that its timings do not wait behind a burst of the load's completions.
//
// Each call is timed from just before its request is written to its full body read (a reconnect after a
// closed connection is not in it; a failed connect counts as an error with its own time). Input: --input,
// a JSON file {"finished_ids": [...], "logged_ids": [...], "job_config": {...}}, the config being a template
// whose git_ref, owner and build_args.FAKE_BUILD_SLEEP_MS each submit sets. Output: one JSON document on
// stdout (see write_result); exit status 1 with the cause on stderr when a builder cannot go on or a
// client cannot connect at the start, as the measure cannot run then.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <exception>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <sys/resource.h>
#include <thread>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

enum Kind : std::size_t { status_wait, status, logs, history, submit, kind_count };
constexpr std::array<std::string_view, kind_count> k_kinds = {"status_wait", "status", "logs", "history",
                                                              "submit"};
constexpr std::array<std::string_view, 10> k_owners = {"agent-0", "agent-1", "agent-2", "agent-3", "agent-4",
                                                       "agent-5", "agent-6", "agent-7", "agent-8", "agent-9"};
constexpr std::array<int, 5> k_history_offsets = {0, 0, 0, 20, 1000};
constexpr std::array<std::string_view, 3> k_final = {"SUCCEEDED", "FAILED", "KILLED"};
constexpr double k_slow = 0.050;  // s: the p99 target of the calls that do not wait
constexpr auto k_health_every = std::chrono::milliseconds(100);
constexpr auto k_health_timeout = std::chrono::seconds(10);
constexpr std::size_t k_error_texts = 5;
constexpr std::string_view k_default_mix = "status_wait=70,status=20,logs=5,history=4,submit=1";

struct Options {
  std::string host = "127.0.0.1";
  unsigned short port = 0;
  int clients = 1000;
  int builders = 20;
  int seconds = 60;
  int wait_seconds = 5;
  int build_ms = 5000;
  std::string mix;  // over k_default_mix
  std::vector<std::string> sources;
  std::string input;
  double start_at = 0;  // s since the epoch; 0: one second from now
  std::uint64_t seed = 1000;
};

struct Input {
  std::vector<std::string> finished_ids;
  std::vector<std::string> logged_ids;
  json::object job_config;
};

double seconds_of(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

double wall_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

bool is_final(std::string_view status) {
  return std::find(k_final.begin(), k_final.end(), status) != k_final.end();
}

// What one exchange gave: `error` is empty when an answer was read; `took` is its time.
struct Exchange {
  std::string error;
  unsigned status = 0;
  std::string body;
  double took = 0;
};

// One keep-alive HTTP/1.1 connection, opened again by the next call after an error or a "Connection: close".
class Connection {
 public:
  Connection(net::any_io_executor executor, const Options& options, std::string source)
      : stream_(executor), options_(options), source_(std::move(source)) {}

  int opened() const { return opened_; }

  net::awaitable<beast::error_code> open() {
    beast::error_code ec;
    close();
    tcp::socket& socket = stream_.socket();
    socket.open(tcp::v4(), ec);
    if (!ec && !source_.empty()) {
      const auto address = net::ip::make_address_v4(source_, ec);
      if (!ec) {
        socket.bind(tcp::endpoint(address, 0), ec);
      }
    }
    if (!ec) {
      const tcp::endpoint server(net::ip::make_address_v4(options_.host, ec), options_.port);
      if (!ec) {
        stream_.expires_after(std::chrono::seconds(30));
        co_await stream_.async_connect(server, net::redirect_error(net::use_awaitable, ec));
        stream_.expires_never();
      }
    }
    if (ec) {
      close();
      co_return ec;
    }
    socket.set_option(tcp::no_delay(true), ec);
    ++opened_;
    co_return ec;
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
    buffer_.consume(buffer_.size());
  }

  net::awaitable<Exchange> call(const http::request<http::string_body>& request, Clock::duration timeout) {
    Exchange out;
    beast::error_code ec;
    if (!stream_.socket().is_open()) {
      const auto began = Clock::now();
      if (ec = co_await open(); ec) {
        out.took = seconds_of(Clock::now() - began);
        out.error = "connect: " + ec.message();
        co_return out;
      }
    }
    http::response<http::string_body> response;
    stream_.expires_after(timeout);  // one deadline for the write and the read
    const auto began = Clock::now();
    co_await http::async_write(stream_, request, net::redirect_error(net::use_awaitable, ec));
    if (!ec) {
      co_await http::async_read(stream_, buffer_, response, net::redirect_error(net::use_awaitable, ec));
    }
    out.took = seconds_of(Clock::now() - began);
    stream_.expires_never();
    if (ec) {
      out.error = ec.message();
      close();
      co_return out;
    }
    out.status = response.result_int();
    out.body = std::move(response.body());
    if (!response.keep_alive()) {
      close();
    }
    co_return out;
  }

 private:
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  const Options& options_;
  std::string source_;
  int opened_ = 0;
};

// What the clients and builders count; read once the load's loop has ended.
struct Tally {
  std::array<std::vector<double>, kind_count> samples;
  std::array<std::int64_t, kind_count> errors{};
  std::vector<std::string> error_texts;
  std::int64_t early_wakes = 0;
  std::map<std::int64_t, std::int64_t> slow_seconds;  // second into the load → calls that do not wait > 50 ms
  std::int64_t reconnects = 0;
  std::int64_t builds_done = 0;
};

struct HealthTally {
  std::vector<std::pair<double, double>> samples;  // (s since the epoch, s taken)
  std::vector<std::string> errors;
};

// One call a client makes, and what its answer must hold.
struct Call {
  Kind kind;
  http::request<http::string_body> request;
  std::string job;  // getStatus: the job_id the answer must name
};

// The load: its clients and builders, coroutines on the io_context the main thread runs.
class Load {
 public:
  Load(const Options& options, Input input, std::array<int, kind_count> weights, net::io_context& ioc,
       Clock::time_point start)
      : options_(options),
        finished_ids_(std::move(input.finished_ids)),
        logged_ids_(std::move(input.logged_ids)),
        job_config_(std::move(input.job_config)),
        ioc_(ioc),
        start_(start),
        stop_(start + std::chrono::seconds(options.seconds)),
        running_(static_cast<std::size_t>(options.builders)),
        random_(options.seed),
        mix_(weights.begin(), weights.end()) {}

  const Tally& tally() const { return tally_; }
  const std::string& failure() const { return failure_; }

  std::vector<std::string> running() const {
    std::vector<std::string> out;
    std::copy_if(running_.begin(), running_.end(), std::back_inserter(out),
                 [](auto& id) { return !id.empty(); });
    return out;
  }

  net::awaitable<void> client(int n) {
    Connection conn(co_await net::this_coro::executor, options_, source(n));
    if (auto ec = co_await conn.open(); ec) {
      fail("client " + std::to_string(n) + ": connect: " + ec.message());
      co_return;
    }
    // Clients arrive over the first second, not all in the same millisecond.
    net::steady_timer timer(co_await net::this_coro::executor);
    timer.expires_at(start_ + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                                  std::uniform_real_distribution<double>(0, 1)(random_))));
    co_await timer.async_wait(net::use_awaitable);
    const auto timeout = std::chrono::seconds(options_.wait_seconds + 30);
    while (Clock::now() < stop_ && failure_.empty()) {
      Call call = next_call();
      Exchange x = co_await conn.call(call.request, timeout);
      record(call, x);
    }
    tally_.reconnects += std::max(0, conn.opened() - 1);
  }

  // Keeps one build running from before the load to its end: submit, follow it with long-polls until it
  // ends, again. The first build of builder k of B lasts (k+1)/B of build_ms, so that the builds end (and
  // new ones start) spread over time rather than all at once.
  net::awaitable<void> builder(int k) {
    Connection conn(co_await net::this_coro::executor, options_, source(k));
    const auto timeout = std::chrono::seconds(options_.wait_seconds + 30);
    std::int64_t sleep_ms = std::int64_t{options_.build_ms} * (k + 1) / options_.builders;
    const std::string owner(k_owners[static_cast<std::size_t>(k) % k_owners.size()]);
    while (Clock::now() < stop_ && failure_.empty()) {
      Exchange x = co_await conn.call(submit_request("build-" + std::to_string(k), sleep_ms, owner), timeout);
      sleep_ms = options_.build_ms;
      json::value body = parse(x);
      const json::string* job = field(body, "job_id");
      if (!x.error.empty() || x.status != 200 || job == nullptr) {
        fail("builder: submitJob answered " + describe(x));
        co_return;
      }
      const std::string id(*job);
      running_[static_cast<std::size_t>(k)] = id;
      const json::string* state = field(body, "status");
      while ((state == nullptr || !is_final(*state)) && Clock::now() < stop_) {
        x = co_await conn.call(status_request(id, options_.wait_seconds), timeout);
        body = parse(x);
        if (!x.error.empty() || x.status != 200 || !body.is_object()) {
          fail("builder: getStatus answered " + describe(x));
          co_return;
        }
        state = field(body, "status");
      }
      if (state != nullptr && is_final(*state)) {
        ++tally_.builds_done;
        logged_ids_.push_back(id);
      }
    }
  }

 private:
  std::string source(int n) const {
    return options_.sources.empty() ? std::string() : options_.sources[n % options_.sources.size()];
  }

  void fail(std::string text) {
    if (failure_.empty()) {
      failure_ = std::move(text);
    }
    ioc_.stop();
  }

  http::request<http::string_body> request(http::verb verb, std::string_view target,
                                           std::string body = {}) const {
    http::request<http::string_body> req(verb, target, 11);
    req.set(http::field::host, options_.host + ":" + std::to_string(options_.port));
    if (verb == http::verb::post) {
      req.set(http::field::content_type, "application/json");
      req.body() = std::move(body);
      req.prepare_payload();
    }
    return req;
  }

  http::request<http::string_body> status_request(const std::string& job, int wait) const {
    return request(http::verb::get, "/mcp/job/" + job + "/status?wait_seconds=" + std::to_string(wait));
  }

  http::request<http::string_body> submit_request(const std::string& branch, std::int64_t sleep_ms,
                                                  std::string_view owner) const {
    json::object config = job_config_;
    config["git_ref"] = branch;
    config["owner"] = owner;
    json::value& args = config["build_args"];
    if (!args.is_object()) {
      args = json::object();
    }
    args.as_object()["FAKE_BUILD_SLEEP_MS"] = std::to_string(sleep_ms);
    return request(http::verb::post, "/mcp/submitJob", json::serialize(json::object{{"job_config", config}}));
  }

  template <class T>
  const T& pick(const std::vector<T>& from) {
    return from[std::uniform_int_distribution<std::size_t>(0, from.size() - 1)(random_)];
  }

  // An agent long-polls a running job (a finished one answers at once); a plain look goes to a running
  // job or to one of 20 finished ones drawn at random, as the Python clients did (random.sample of 20).
  std::string job_to_look_at(Kind kind) {
    const std::vector<std::string> live = running();
    if (kind == status_wait && !live.empty()) {
      return pick(live);
    }
    const std::size_t sampled = std::min<std::size_t>(finished_ids_.size(), 20);
    const std::size_t r = std::uniform_int_distribution<std::size_t>(0, live.size() + sampled - 1)(random_);
    return r < live.size() ? live[r] : pick(finished_ids_);
  }

  Call next_call() {
    const auto kind = static_cast<Kind>(mix_(random_));
    Call call{kind, {}, {}};
    switch (kind) {
      case status_wait:
      case status:
        call.job = job_to_look_at(kind);
        call.request = status_request(call.job, kind == status_wait ? options_.wait_seconds : 0);
        break;
      case logs:
        call.request = request(http::verb::get, "/mcp/job/" + pick(logged_ids_) + "/logs?tail=20");
        break;
      case history: {
        const std::size_t offset =
            std::uniform_int_distribution<std::size_t>(0, k_history_offsets.size() - 1)(random_);
        json::object query{{"limit", 20}, {"offset", k_history_offsets[offset]}};
        if (std::uniform_int_distribution<int>(0, 1)(random_) == 1) {
          query["owner"] =
              k_owners[std::uniform_int_distribution<std::size_t>(0, k_owners.size() - 1)(random_)];
        }
        call.request = request(http::verb::post, "/mcp/getHistory", json::serialize(query));
        break;
      }
      default:
        ++submitted_;
        call.request = submit_request(
            "load-" + std::to_string(submitted_), 0,
            k_owners[std::uniform_int_distribution<std::size_t>(0, k_owners.size() - 1)(random_)]);
        break;
    }
    return call;
  }

  static json::value parse(const Exchange& x) {
    if (!x.error.empty()) {
      return nullptr;
    }
    boost::system::error_code ec;
    json::value body = json::parse(x.body, ec);
    return ec ? json::value(nullptr) : body;
  }

  static const json::string* field(const json::value& body, std::string_view name) {
    const json::object* object = body.if_object();
    const json::value* value = object != nullptr ? object->if_contains(name) : nullptr;
    return value != nullptr ? value->if_string() : nullptr;
  }

  static std::string describe(const Exchange& x) {
    return x.error.empty() ? std::to_string(x.status) + " " + x.body.substr(0, 200) : "- " + x.error;
  }

  // The checks of the Python clients: 200 and the field the answer must hold.
  static bool answered(const Call& call, const Exchange& x) {
    if (!x.error.empty() || x.status != 200) {
      return false;
    }
    const json::value body = parse(x);
    const json::object* object = body.if_object();
    if (object == nullptr) {
      return false;
    }
    switch (call.kind) {
      case status_wait:
      case status: {
        const json::string* job = field(body, "job_id");
        return job != nullptr && *job == call.job;
      }
      case logs:
        return true;
      case history:
        return object->contains("total");
      default:
        return object->contains("job_id");
    }
  }

  void record(const Call& call, const Exchange& x) {
    const bool ok = answered(call, x);
    tally_.samples[call.kind].push_back(x.took);
    if (x.took > k_slow && call.kind != status_wait) {
      ++tally_.slow_seconds[static_cast<std::int64_t>(seconds_of(Clock::now() - start_))];
    }
    if (call.kind == status_wait && ok && x.took < options_.wait_seconds - 0.5) {
      ++tally_.early_wakes;
    }
    if (!ok) {
      ++tally_.errors[call.kind];
      if (tally_.error_texts.size() < k_error_texts) {
        tally_.error_texts.push_back(std::string(k_kinds[call.kind]) + ": " + describe(x));
      }
    }
  }

  const Options& options_;
  std::vector<std::string> finished_ids_;
  std::vector<std::string> logged_ids_;  // grows with the builds that end
  json::object job_config_;
  net::io_context& ioc_;
  Clock::time_point start_;
  Clock::time_point stop_;
  std::vector<std::string> running_;  // builder → its current job ("" before its first submit)
  std::mt19937_64 random_;
  std::discrete_distribution<std::size_t> mix_;
  std::int64_t submitted_ = 0;
  std::string failure_;
  Tally tally_;
};

// GET /health every 100 ms (between the end of one and the start of the next) from `start` to `stop`.
net::awaitable<void> sample_health(const Options& options, Clock::time_point start, Clock::time_point stop,
                                   HealthTally& tally) {
  const auto executor = co_await net::this_coro::executor;
  Connection conn(executor, options, "");
  http::request<http::string_body> request(http::verb::get, "/health", 11);
  request.set(http::field::host, options.host + ":" + std::to_string(options.port));
  net::steady_timer timer(executor);
  timer.expires_at(start);
  co_await timer.async_wait(net::use_awaitable);
  while (true) {
    timer.expires_after(k_health_every);
    co_await timer.async_wait(net::use_awaitable);
    if (Clock::now() >= stop) {
      break;
    }
    const double at = wall_now();
    Exchange x = co_await conn.call(request, k_health_timeout);
    if (!x.error.empty()) {
      tally.errors.push_back(x.error);
    } else if (x.status != 200) {
      tally.errors.push_back("status " + std::to_string(x.status));
    }
    tally.samples.emplace_back(at, x.took);
  }
}

// KIND=WEIGHT,...: the weights of the kinds it names (the others keep theirs).
bool parse_mix(const std::string& text, std::array<int, kind_count>& weights, std::string& error) {
  std::istringstream items(text);
  std::string item;
  while (std::getline(items, item, ',')) {
    const auto eq = item.find('=');
    const auto name = item.substr(0, eq);
    const auto kind = std::find(k_kinds.begin(), k_kinds.end(), name);
    const std::string weight = eq == std::string::npos ? "" : item.substr(eq + 1);
    if (kind == k_kinds.end() || weight.empty() ||
        !std::all_of(weight.begin(), weight.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      error = "--mix: " + item + ": expected KIND=WEIGHT";
      return false;
    }
    weights[static_cast<std::size_t>(kind - k_kinds.begin())] = std::stoi(weight);
  }
  if (std::all_of(weights.begin(), weights.end(), [](int w) { return w == 0; })) {
    error = "--mix: every weight is 0";
    return false;
  }
  return true;
}

std::vector<std::string> strings_of(const json::object& object, std::string_view name) {
  std::vector<std::string> out;
  if (const json::value* value = object.if_contains(name); value != nullptr && value->is_array()) {
    for (const json::value& item : value->as_array()) {
      if (item.is_string()) {
        out.emplace_back(item.as_string());
      }
    }
  }
  return out;
}

bool read_input(const std::string& path, Input& input, std::string& error) {
  std::ifstream file(path);
  if (!file) {
    error = "--input: cannot read " + path;
    return false;
  }
  std::stringstream text;
  text << file.rdbuf();
  boost::system::error_code ec;
  const json::value doc = json::parse(text.str(), ec);
  const json::object* object = ec ? nullptr : doc.if_object();
  const json::value* config = object != nullptr ? object->if_contains("job_config") : nullptr;
  if (config == nullptr || !config->is_object()) {
    error = "--input: " + path + ": expected {\"finished_ids\", \"logged_ids\", \"job_config\"}";
    return false;
  }
  input.finished_ids = strings_of(*object, "finished_ids");
  input.logged_ids = strings_of(*object, "logged_ids");
  input.job_config = config->as_object();
  if (input.finished_ids.empty() || input.logged_ids.empty()) {
    error = "--input: finished_ids and logged_ids must not be empty";
    return false;
  }
  return true;
}

// {"samples": {kind: [s, ...]}, "errors": {kind: n}, "error_texts": [...], "early_wakes", "slow_seconds":
// {"<s into the load>": n}, "reconnects", "builds_done", "running": [job ids], "health": {"samples":
// [[s since the epoch, s taken], ...], "errors": [...]}}
void write_result(const Load& load, const HealthTally& health) {
  const Tally& tally = load.tally();
  json::object samples;
  json::object errors;
  for (std::size_t k = 0; k < kind_count; ++k) {
    samples[k_kinds[k]] = json::value_from(tally.samples[k]);
    errors[k_kinds[k]] = tally.errors[k];
  }
  json::object slow;
  for (const auto& [second, n] : tally.slow_seconds) {
    slow[std::to_string(second)] = n;
  }
  json::array health_samples;
  for (const auto& [at, took] : health.samples) {
    health_samples.push_back(json::array{at, took});
  }
  json::object out{
      {"samples", std::move(samples)},
      {"errors", std::move(errors)},
      {"error_texts", json::value_from(tally.error_texts)},
      {"early_wakes", tally.early_wakes},
      {"slow_seconds", std::move(slow)},
      {"reconnects", tally.reconnects},
      {"builds_done", tally.builds_done},
      {"running", json::value_from(load.running())},
      {"health", {{"samples", std::move(health_samples)}, {"errors", json::value_from(health.errors)}}}};
  std::cout << json::serialize(out) << '\n';
}

// One descriptor per connection: raises the soft limit to the hard one when it is below what the load needs
// (load_bench.py raises it before it starts the daemon and this client; a run by hand may not have).
void raise_fd_limit(int connections) {
  rlimit limit{};
  const rlim_t needed = static_cast<rlim_t>(connections) + 64;
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < needed) {
    limit.rlim_cur = std::min(needed, limit.rlim_max);
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

// A coroutine's completion: what it threw (nothing is expected to), kept for main to report.
auto catch_into(std::string& cause) {
  return [&cause](const std::exception_ptr& e) {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& x) {
        cause = x.what();
      }
    }
  };
}

int run(int argc, char** argv) {
  Options options;
  CLI::App app{"nbs-load-client: the clients of load_bench.py (measure 9); one JSON document on stdout"};
  app.add_option("--host", options.host, "nbs-mcpd's IPv4 address");
  app.add_option("--port", options.port, "nbs-mcpd's port")->required();
  app.add_option("--clients", options.clients, "connections calling in a loop");
  app.add_option("--builders", options.builders, "builds kept running");
  app.add_option("--seconds", options.seconds, "length of the load");
  app.add_option("--wait-seconds", options.wait_seconds, "getStatus long-poll wait_seconds");
  app.add_option("--build-ms", options.build_ms, "length of a builder's build");
  app.add_option("--mix", options.mix,
                 "weights of the calls, each KIND=WEIGHT changing one of " + std::string(k_default_mix));
  app.add_option("--source", options.sources, "source address of the connections, in turn (repeat)");
  app.add_option("--input", options.input, "JSON: finished_ids, logged_ids, job_config")->required();
  app.add_option("--start-at", options.start_at, "when the load starts, s since the epoch (default: in 1 s)");
  app.add_option("--seed", options.seed, "of the random choices");
  CLI11_PARSE(app, argc, argv);

  std::array<int, kind_count> weights{};
  Input input;
  std::string error;
  if (!parse_mix(std::string(k_default_mix), weights, error) || !parse_mix(options.mix, weights, error) ||
      !read_input(options.input, input, error)) {
    std::cerr << "nbs-load-client: " << error << '\n';
    return 2;
  }
  if (options.clients < 0 || options.builders < 1 || options.seconds < 1 || options.wait_seconds < 0) {
    std::cerr << "nbs-load-client: --clients and --wait-seconds must be at least 0, --builders and --seconds "
                 "at least 1\n";
    return 2;
  }
  raise_fd_limit(options.clients + options.builders + 1);
  const double wall_start = options.start_at > 0 ? options.start_at : wall_now() + 1;
  const Clock::time_point start =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(
                         std::chrono::duration<double>(std::max(0.0, wall_start - wall_now())));
  const Clock::time_point stop = start + std::chrono::seconds(options.seconds);

  net::io_context ioc(1);  // one thread: no locking in Asio
  net::io_context health_ioc(1);
  Load load(options, std::move(input), weights, ioc, start);
  HealthTally health;
  std::string crashed;
  std::string health_crashed;
  const auto on_end = catch_into(crashed);
  for (int k = 0; k < options.builders; ++k) {
    net::co_spawn(ioc, load.builder(k), on_end);
  }
  for (int n = 0; n < options.clients; ++n) {
    net::co_spawn(ioc, load.client(n), on_end);
  }
  net::co_spawn(health_ioc, sample_health(options, start, stop, health), catch_into(health_crashed));
  std::thread health_thread([&health_ioc] { health_ioc.run(); });
  ioc.run();
  if (!load.failure().empty()) {
    health_ioc.stop();
  }
  health_thread.join();
  for (const std::string& cause : {load.failure(), crashed, health_crashed}) {
    if (!cause.empty()) {
      std::cerr << "nbs-load-client: " << cause << '\n';
      return 1;
    }
  }
  write_result(load, health);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "nbs-load-client: " << e.what() << '\n';
  } catch (...) {
    std::cerr << "nbs-load-client: unknown exception\n";
  }
  return 1;
}
