#include "jobs/junit.hpp"

#include <pugixml.hpp>
#include <string>

namespace nbs::jobs {

namespace {

// At most `max` bytes, not cutting a UTF-8 sequence in two.
std::string bounded(std::string_view text, std::size_t max) {
  if (text.size() <= max) {
    return std::string(text);
  }
  std::size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
    --end;
  }
  return std::string(text.substr(0, end)) + "…";
}

std::string_view trim_space(std::string_view text) {
  const auto begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) {
    return {};
  }
  return text.substr(begin, text.find_last_not_of(" \t\r\n") - begin + 1);
}

void count_case(const pugi::xml_node& test, JUnitSummary& out) {
  ++out.tests;
  pugi::xml_node problem = test.child("failure");
  if (problem) {
    ++out.failures;
  } else if ((problem = test.child("error"))) {
    ++out.errors;
  } else if (test.child("skipped")) {
    ++out.skipped;
  }
  if (!problem || !out.first_failure.empty()) {
    return;
  }
  const std::string_view classname = test.attribute("classname").as_string();
  const std::string_view name = test.attribute("name").as_string();
  out.first_failure =
      bounded(classname.empty() ? name : std::string(classname) + "." + std::string(name), 200);
  std::string_view message = problem.attribute("message").as_string();
  if (trim_space(message).empty()) {
    message = problem.text().as_string();  // the first text or CDATA child
  }
  out.message = bounded(trim_space(message), k_junit_message_bytes);
  if (out.first_failure.empty()) {
    out.first_failure = "(unnamed test)";
  }
}

}  // namespace

std::optional<JUnitSummary> parse_junit(std::string_view xml) {
  pugi::xml_document doc;
  // A parse error leaves the tree as far as it got: a truncated report still counts its first cases.
  doc.load_buffer(xml.data(), xml.size(), pugi::parse_default, pugi::encoding_utf8);
  const pugi::xml_node root = doc.document_element();
  const std::string_view root_name = root.name();
  if (root_name != "testsuites" && root_name != "testsuite") {
    return std::nullopt;
  }
  JUnitSummary out;
  // Depth first, without recursion: the tree's depth is the input's to choose.
  for (pugi::xml_node node = root.first_child(); node && node != root;) {
    if (node.type() == pugi::node_element && std::string_view(node.name()) == "testcase") {
      count_case(node, out);
    } else if (node.type() == pugi::node_element && node.first_child()) {
      node = node.first_child();
      continue;
    }
    while (node != root && !node.next_sibling()) {
      node = node.parent();
    }
    if (node != root) {
      node = node.next_sibling();
    }
  }
  if (out.tests == 0) {
    // A summary-only report (no test cases listed): its root's attributes are all there is.
    out.tests = root.attribute("tests").as_int();
    out.failures = root.attribute("failures").as_int();
    out.errors = root.attribute("errors").as_int();
    out.skipped = root.attribute("skipped").as_int();
  }
  return out;
}

bool looks_like_junit(std::string_view path, std::string_view head) {
  return path.ends_with(".xml") ||
         head.substr(0, k_junit_sniff_bytes).find("<testsuite") != std::string_view::npos;
}

std::optional<JUnitSummary> junit_report(std::string_view path, std::string_view bytes) {
  if (!looks_like_junit(path, bytes)) {
    return std::nullopt;
  }
  return parse_junit(bytes);
}

}  // namespace nbs::jobs
