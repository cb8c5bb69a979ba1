#include "mcpd/http/sse.hpp"

namespace nbs::mcpd {

std::string sse_message(std::string_view json) {
  std::string out = "event: message\ndata: ";
  out += json;
  out += "\n\n";
  return out;
}

std::string sse_comment(std::string_view text) {
  std::string out = ": ";
  out += text;
  out += "\n\n";
  return out;
}

}  // namespace nbs::mcpd
