#include "jobs/nomad/client.hpp"

#include <charconv>
#include <thread>

#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include "common/base64.hpp"
#include "jobs/nomad/errors.hpp"

namespace nbs::jobs::nomad {
namespace {

constexpr std::chrono::seconds k_default_block{300};  // Nomad's wait when a blocking query gives none
constexpr std::chrono::seconds k_block_margin{5};

std::uint64_t parse_u64(const std::optional<std::string>& text) {
  std::uint64_t value = 0;
  if (text) {
    std::from_chars(text->data(), text->data() + text->size(), value);
  }
  return value;
}

QueryMeta meta_of(const HttpResponse& response) {
  QueryMeta meta;
  meta.last_index = parse_u64(response.header("X-Nomad-Index"));
  meta.known_leader = response.header("X-Nomad-KnownLeader").value_or("") == "true";
  meta.last_contact = std::chrono::milliseconds(parse_u64(response.header("X-Nomad-LastContact")));
  return meta;
}

std::string encode(std::string_view text) {
  return boost::urls::encode(text, boost::urls::unreserved_chars);
}

void add_query_params(const QueryOptions& query, Params& params) {
  if (query.index > 0) {
    params.emplace_back("index", std::to_string(query.index));
  }
  if (query.wait.count() > 0) {
    params.emplace_back("wait", std::to_string(query.wait.count()) + "ms");
  }
  if (!query.prefix.empty()) {
    params.emplace_back("prefix", query.prefix);
  }
}

bool is_success(int status) {
  return status >= 200 && status < 300;
}

}  // namespace

std::string escape_segment(std::string_view segment) {
  return encode(segment);
}

Client::Client(Config config, std::shared_ptr<Transport> transport, Sleeper sleeper)
    : config_(std::move(config)), transport_(std::move(transport)), sleep_(std::move(sleeper)) {
  if (!sleep_) {
    sleep_ = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  }
}

Result<Client> Client::connect(Config config) {
  auto transport = make_http_transport(config);
  if (!transport) {
    return transport.error();
  }
  return Client(std::move(config), std::move(*transport));
}

HttpRequest Client::make_request(std::string_view method, std::string_view path,
                                 const std::string& namespace_name, const std::string& region,
                                 Params params) const {
  const std::string& ns = namespace_name.empty() ? config_.namespace_name : namespace_name;
  const std::string& rg = region.empty() ? config_.region : region;
  if (!ns.empty()) {
    params.emplace_back("namespace", ns);
  }
  if (!rg.empty()) {
    params.emplace_back("region", rg);
  }
  HttpRequest request;
  request.method = std::string(method);
  request.url = config_.address + std::string(path);
  char sep = '?';
  for (const auto& [key, value] : params) {
    request.url += sep + encode(key);
    if (!value.empty()) {
      request.url += "=" + encode(value);
    }
    sep = '&';
  }
  request.timeouts = config_.timeouts;
  if (!config_.token.empty()) {
    request.headers.emplace_back("X-Nomad-Token", config_.token);
  }
  if (!config_.http_auth.empty()) {
    // Basic auth in front of Nomad (a proxy); the CLI takes "user:password".
    std::string raw =
        config_.http_auth.find(':') == std::string::npos ? config_.http_auth + ":" : config_.http_auth;
    request.headers.emplace_back("Authorization", "Basic " + base64_encode(raw));
  }
  return request;
}

Result<Reply> Client::send_once(const HttpRequest& request) {
  auto response = transport_->send(request);
  if (!response) {
    return response.error();
  }
  return Reply{response->status, std::move(response->body), meta_of(*response)};
}

Result<Reply> Client::read_raw(std::string_view path, const QueryOptions& query, Params params) {
  add_query_params(query, params);
  HttpRequest request = make_request("GET", path, query.namespace_name, query.region, std::move(params));
  if (query.index > 0) {
    const auto wait = query.wait.count() > 0 ? query.wait : std::chrono::milliseconds(k_default_block);
    request.timeouts.read = std::max(request.timeouts.read, wait + wait / 16 + k_block_margin);
  }
  const std::string shown(path);
  return with_retry<Reply>(config_.retry, sleep_, [&]() -> Result<Reply> {
    auto reply = send_once(request);
    if (reply && reply->status >= 500) {
      // A read is idempotent: a server error is retried like a lost connection.
      return nomad_error(reply->status, reply->body, "GET", shown);
    }
    return reply;
  });
}

Result<Reply> Client::read(std::string_view path, const QueryOptions& query, Params params) {
  auto reply = read_raw(path, query, std::move(params));
  if (reply && !is_success(reply->status)) {
    return nomad_error(reply->status, reply->body, "GET", path);
  }
  return reply;
}

Result<Reply> Client::write_raw(std::string_view method, std::string_view path, std::string body,
                                const WriteOptions& options, Params params) {
  HttpRequest request = make_request(method, path, options.namespace_name, options.region, std::move(params));
  request.body = std::move(body);
  if (!request.body.empty()) {
    request.headers.emplace_back("Content-Type", "application/json");
  }
  return send_once(request);
}

Result<Reply> Client::write(std::string_view method, std::string_view path, std::string body,
                            const WriteOptions& options, Params params) {
  auto reply = write_raw(method, path, std::move(body), options, std::move(params));
  if (reply && !is_success(reply->status)) {
    return nomad_error(reply->status, reply->body, method, path);
  }
  return reply;
}

Result<Reply> Client::stream(std::string_view path, const QueryOptions& query, Params params,
                             const BodySink& sink, std::chrono::milliseconds idle) {
  add_query_params(query, params);
  HttpRequest request = make_request("GET", path, query.namespace_name, query.region, std::move(params));
  request.timeouts.read = idle;
  auto response = transport_->stream(request, sink);
  if (!response) {
    return response.error();
  }
  if (!is_success(response->status)) {
    return nomad_error(response->status, response->body, "GET", path);
  }
  return Reply{response->status, std::move(response->body), meta_of(*response)};
}

}  // namespace nbs::jobs::nomad
