#include "mcpd/mcp/json_rpc.hpp"

#include <gtest/gtest.h>

namespace nbs::mcpd {
namespace {
namespace json = boost::json;

TEST(JsonRpc, ParsesRequestAndNotification) {
  auto frame = parse_frame(R"({"jsonrpc":"2.0","id":7,"method":"tools/list","params":{"cursor":"x"}})");
  ASSERT_FALSE(frame.parse_error);
  ASSERT_EQ(frame.messages.size(), 1u);
  const auto& request = std::get<Request>(frame.messages[0]);
  EXPECT_EQ(request.method, "tools/list");
  EXPECT_EQ(*request.id, json::value(7));
  EXPECT_EQ(request.params.at("cursor"), "x");

  auto note =
      std::get<Request>(parse_frame(R"({"jsonrpc":"2.0","method":"notifications/initialized"})").messages[0]);
  EXPECT_TRUE(note.is_notification());
  EXPECT_TRUE(note.params.empty());
}

TEST(JsonRpc, ParseErrorAndInvalidRequests) {
  EXPECT_TRUE(parse_frame("{not json").parse_error);
  auto wrong_version = parse_frame(R"({"jsonrpc":"1.0","id":"a","method":"x"})");
  const auto& invalid = std::get<InvalidMessage>(wrong_version.messages[0]);
  EXPECT_EQ(invalid.id, json::value("a"));
  EXPECT_EQ(invalid.reason, "jsonrpc must be \"2.0\"");
  EXPECT_TRUE(std::holds_alternative<InvalidMessage>(parse_frame(R"({"jsonrpc":"2.0","id":1})").messages[0]));
  EXPECT_TRUE(std::holds_alternative<InvalidMessage>(
      parse_frame(R"({"jsonrpc":"2.0","id":1,"method":"x","params":[1]})").messages[0]));
  EXPECT_TRUE(std::holds_alternative<InvalidMessage>(
      parse_frame(R"({"jsonrpc":"2.0","id":null,"method":"x"})").messages[0]));
  EXPECT_TRUE(std::holds_alternative<InvalidMessage>(parse_frame("42").messages[0]));
}

TEST(JsonRpc, BatchesAndPeerResponses) {
  auto frame =
      parse_frame(R"([{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"result":{}}])");
  EXPECT_TRUE(frame.is_batch);
  ASSERT_EQ(frame.messages.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<Request>(frame.messages[0]));
  EXPECT_TRUE(std::holds_alternative<PeerResponse>(frame.messages[1]));
  auto empty = parse_frame("[]");
  EXPECT_TRUE(empty.is_batch);
  EXPECT_TRUE(std::holds_alternative<InvalidMessage>(empty.messages.at(0)));
}

TEST(JsonRpc, SerializesResponsesExactly) {
  EXPECT_EQ(to_wire(make_result(json::value(1), json::object{})), R"({"jsonrpc":"2.0","id":1,"result":{}})");
  EXPECT_EQ(to_wire(make_error_response(nullptr, rpc_code::k_parse_error, "Parse error")),
            R"({"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}})");
  EXPECT_EQ(to_wire(make_error_response("x", -32602, "bad", json::object{{"a", 1}})),
            R"({"jsonrpc":"2.0","id":"x","error":{"code":-32602,"message":"bad","data":{"a":1}}})");
  EXPECT_EQ(to_wire(make_notification("notifications/progress", json::object{{"progress", 1}})),
            R"({"jsonrpc":"2.0","method":"notifications/progress","params":{"progress":1}})");
  EXPECT_NE(id_key(json::value(1)), id_key(json::value("1")));
}

TEST(JsonRpc, ValidUtf8KeepsGoodSequencesAndReplacesTheRest) {
  const std::string r = "\xEF\xBF\xBD";  // U+FFFD
  EXPECT_EQ(valid_utf8("plain ascii\t\x01"), "plain ascii\t\x01");
  EXPECT_EQ(valid_utf8("m\xC3\xBCller \xE2\x82\xAC \xF0\x9D\x84\x9E"),
            "m\xC3\xBCller \xE2\x82\xAC \xF0\x9D\x84\x9E");
  EXPECT_EQ(valid_utf8("x\xFFy"), "x" + r + "y");
  EXPECT_EQ(valid_utf8("\xE2\x82"), r + r);                  // truncated
  EXPECT_EQ(valid_utf8("\xC0\xAF"), r + r);                  // overlong
  EXPECT_EQ(valid_utf8("\xED\xA0\x80"), r + r + r);          // a surrogate
  EXPECT_EQ(valid_utf8("\xF4\x90\x80\x80"), r + r + r + r);  // above U+10FFFF
  EXPECT_EQ(valid_utf8(std::string("a\0b", 3)), std::string("a\0b", 3));
}

}  // namespace
}  // namespace nbs::mcpd
