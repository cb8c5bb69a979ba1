// Fuzzes the MCP server's request path (McpServer::handle_frame: JSON-RPC parsing, era routing, both
// eras' validation, sessions, batches, tools/call into the fake tools) with what a transport hands it.
//
// Input: one flags byte, then frames separated by '\n', all sent to one McpServer in order (so an
// initialize can open the session later frames use). Flags:
//   bit 0     stdio instead of HTTP
//   bits 1-3  MCP-Protocol-Version header: none, 2026-07-28, 2025-11-25, 2025-06-18, 2025-03-26,
//             2024-11-05, garbage, or the frame's own _meta version
//   bit 4     Mcp-Method / Mcp-Name headers copied from the frame (else none)
//   bit 5     Mcp-Session-Id of the last session an initialize minted
//   bit 6     an authenticated principal
//   bit 7     unused
// Every call runs with its cancellation already fired, so the fake tools' waits end at once.
// Checks: no crash; 202 exactly when there is no body; every body is a JSON-RPC response (or a batch
// of them) with "jsonrpc":"2.0" and exactly one of result/error, an integer code and a string message;
// a modern result carries resultType; the wire form has no newline (stdio framing); notifications sent
// through the sink are notifications/progress with increasing progress.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include "mcpd/mcp/mcp_server.hpp"
#include "tests/unit/mcpd/testutil/fake_tools.hpp"

namespace {
namespace json = boost::json;
namespace asio = boost::asio;
using namespace nbs::mcpd;

// Aborts (a libFuzzer crash) naming the failed check's line.
void check(bool ok, int line = __builtin_LINE()) {
  if (!ok) {
    std::fprintf(stderr, "mcp_request_fuzzer: check at line %d failed\n", line);
    std::abort();
  }
}

void check_response(const json::value& v) {
  check(v.is_object());
  const auto& o = v.get_object();
  const auto* version = o.if_contains("jsonrpc");
  check(version != nullptr && version->is_string() && version->get_string() == "2.0");
  check(o.contains("id"));
  const bool has_result = o.contains("result");
  const bool has_error = o.contains("error");
  check(has_result != has_error);
  if (has_error) {
    const auto& e = o.at("error");
    check(e.is_object() && e.get_object().contains("code") && e.at("code").is_int64() &&
          e.get_object().contains("message") && e.at("message").is_string());
  } else {
    check(o.at("result").is_object());
  }
}

void check_reply(const Reply& reply, bool modern_request) {
  check((reply.http_status == 202) == !reply.body.has_value());
  if (!reply.body) {
    return;
  }
  const std::string wire = to_wire(*reply.body);
  check(wire.find('\n') == std::string::npos);
  boost::system::error_code ec;
  const json::value again = json::parse(wire, ec);
  if (ec) {
    std::fprintf(stderr, "mcp_request_fuzzer: the reply is not JSON (%s): %.2000s\n", ec.message().c_str(),
                 wire.c_str());
  }
  check(!ec);
  if (again.is_array()) {
    check(!again.get_array().empty());
    for (const auto& item : again.get_array()) {
      check_response(item);
    }
    return;
  }
  check_response(again);
  if (modern_request && reply.http_status == 200 && again.get_object().contains("result")) {
    check(again.at("result").get_object().contains("resultType"));
  }
}

std::optional<std::string> version_header(unsigned choice, const json::value* frame) {
  switch (choice) {
    case 0:
      return std::nullopt;
    case 1:
      return "2026-07-28";
    case 2:
      return "2025-11-25";
    case 3:
      return "2025-06-18";
    case 4:
      return "2025-03-26";
    case 5:
      return "2024-11-05";
    case 6:
      return "x\x01\xff";
    default:
      break;
  }
  if (frame != nullptr && frame->is_object()) {
    if (const auto* params = frame->get_object().if_contains("params"); params && params->is_object()) {
      if (const auto* meta = params->get_object().if_contains("_meta"); meta && meta->is_object()) {
        if (const auto* v = meta->get_object().if_contains("io.modelcontextprotocol/protocolVersion");
            v && v->is_string()) {
          return std::string(v->get_string());
        }
      }
    }
  }
  return std::nullopt;
}

// Mcp-Method and Mcp-Name as a correct modern client would send them for `frame`.
void copy_headers(Envelope& env, const json::value* frame) {
  if (frame == nullptr || !frame->is_object()) {
    return;
  }
  const auto& o = frame->get_object();
  if (const auto* m = o.if_contains("method"); m && m->is_string()) {
    env.method_header = std::string(m->get_string());
  }
  if (const auto* params = o.if_contains("params"); params && params->is_object()) {
    for (const char* key : {"name", "uri"}) {
      if (const auto* n = params->get_object().if_contains(key); n && n->is_string()) {
        env.name_header = std::string(n->get_string());
      }
    }
  }
}

bool is_modern(const Envelope& env, const json::value* frame) {
  if (env.protocol_version_header && is_modern_version(*env.protocol_version_header)) {
    return true;
  }
  return version_header(7, frame).has_value();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const std::uint8_t flags = data[0];
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);

  ToolRegistry tools;
  nbs::mcpd::testing::register_fake_tools(tools, std::make_shared<nbs::mcpd::testing::FakeToolState>());
  SessionStore sessions(std::chrono::hours(1), 4);
  McpOptions options;
  options.page_size = 2;  // so tools/list pages and cursors are reachable
  McpServer server(tools, sessions, options);
  std::optional<std::string> session;

  for (int frames = 0; frames < 16; ++frames) {
    const std::size_t newline = rest.find('\n');
    const std::string_view bytes = rest.substr(0, newline);
    boost::system::error_code ec;
    const json::value parsed = json::parse(bytes, ec);
    const json::value* frame = ec ? nullptr : &parsed;

    Envelope env;
    env.transport = (flags & 1) != 0 ? Transport::stdio : Transport::http;
    env.protocol_version_header = version_header((flags >> 1) & 7, frame);
    if ((flags & 0x10) != 0) {
      copy_headers(env, frame);
    }
    if ((flags & 0x20) != 0) {
      env.session_id = session;
    }
    env.principal = (flags & 0x40) != 0 ? "alice" : "";
    env.peer = "127.0.0.1";

    auto cancel = std::make_shared<Cancellation>();
    cancel->cancel("fuzz: no waiting");
    std::optional<double> last_progress;
    NotificationSink sink = [&last_progress](json::object n) {
      check(n.at("method") == "notifications/progress");
      const double p = n.at("params").at("progress").to_number<double>();
      check(!last_progress || p > *last_progress);
      last_progress = p;
    };

    std::optional<Reply> reply;
    asio::io_context io;
    asio::co_spawn(io, server.handle_frame(bytes, env, sink, cancel),
                   [&reply](std::exception_ptr e, Reply r) {
                     check(!e);  // handle_frame turns every failure into a reply
                     reply = std::move(r);
                   });
    io.run();
    check(reply.has_value());
    check_reply(*reply, is_modern(env, frame));
    if (reply->session_id) {
      session = reply->session_id;
    }
    if (newline == std::string_view::npos) {
      break;
    }
    rest.remove_prefix(newline + 1);
  }
  return 0;
}
