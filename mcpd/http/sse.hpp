// Server-sent events framing for streamed MCP responses and the legacy GET stream.
#pragma once

#include <string>
#include <string_view>

namespace nbs::mcpd {

// "event: message\ndata: <json>\n\n"; `json` must be one line (our serializer never emits newlines).
std::string sse_message(std::string_view json);

// ": <text>\n\n", a comment that keeps proxies and clients from timing out the stream.
std::string sse_comment(std::string_view text);

}  // namespace nbs::mcpd
