#include "cli/history_table.hpp"

#include <array>
#include <vector>

#include "cli/json_fields.hpp"

namespace nbs::cli {

namespace json = boost::json;

namespace {

constexpr std::size_t k_columns = 6;
using Row = std::array<std::string, k_columns>;

std::string render(const std::vector<Row>& rows) {
  std::array<std::size_t, k_columns> width{};
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < k_columns; ++c) {
      width[c] = std::max(width[c], row[c].size());
    }
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t c = 0; c < k_columns; ++c) {
      line += row[c];
      if (c + 1 < k_columns) {
        line += std::string(width[c] - row[c].size() + 2, ' ');
      }
    }
    out += line + "\n";
  }
  return out;
}

}  // namespace

std::string format_history(const json::object& answer, long long offset) {
  std::vector<Row> rows{{"JOB", "STATUS", "OWNER", "GIT_REF", "STARTED", "IMAGE"}};
  if (const json::value* jobs = answer.if_contains("jobs"); jobs != nullptr && jobs->is_array()) {
    for (const auto& job : jobs->get_array()) {
      if (!job.is_object()) {
        continue;
      }
      const auto& j = job.get_object();
      rows.push_back({string_at(j, "job_id"), string_at(j, "status"), string_at(j, "owner"),
                      string_at(j, "git_ref"), string_at(j, "job_start"), string_at(j, "image")});
    }
  }
  long long total = 0;
  if (const json::value* t = answer.if_contains("total"); t != nullptr && (t->is_int64() || t->is_uint64())) {
    total = t->to_number<long long>();
  }
  const std::size_t shown = rows.size() - 1;
  if (shown == 0) {
    return total == 0
               ? "no jobs\n"
               : "no jobs at offset " + std::to_string(offset) + " (" + std::to_string(total) + " in all)\n";
  }
  std::string out = render(rows);
  out += std::to_string(shown) + " of " + std::to_string(total) + (total == 1 ? " job" : " jobs");
  if (offset > 0) {
    out += " (from " + std::to_string(offset + 1) + ")";
  }
  return out + "\n";
}

}  // namespace nbs::cli
