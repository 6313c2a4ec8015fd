#include "vxctl/table.h"

#include <algorithm>
#include <cstdio>

namespace vx::ctl {

namespace {

void append_padded(std::string& out, const std::string& cell, size_t width, bool last) {
  out += cell;
  if (!last) out.append(width - cell.size() + 2, ' ');
}

}  // namespace

std::string Table::render() const {
  std::vector<size_t> widths;
  for (const auto& header : headers_) widths.push_back(header.size());
  for (const auto& row : rows_) {
    for (size_t column = 0; column < widths.size() && column < row.size(); ++column) {
      widths[column] = std::max(widths[column], row[column].size());
    }
  }
  auto render_row = [&](const std::vector<std::string>& cells, std::string& out) {
    for (size_t column = 0; column < widths.size(); ++column) {
      const std::string& cell = column < cells.size() ? cells[column] : "-";
      append_padded(out, cell, std::max(widths[column], cell.size()), column + 1 == widths.size());
    }
    out += '\n';
  };
  std::string out;
  render_row(headers_, out);
  for (const auto& row : rows_) render_row(row, out);
  return out;
}

std::string render_fields(const std::vector<std::pair<std::string, std::string>>& fields) {
  size_t width = 0;
  for (const auto& [key, value] : fields) width = std::max(width, key.size());
  std::string out;
  for (const auto& [key, value] : fields) {
    append_padded(out, key, width, value.empty());
    out += value;
    out += '\n';
  }
  return out;
}

std::string format_age(int64_t milliseconds) {
  char text[32];
  if (milliseconds < 10'000) {
    std::snprintf(text, sizeof(text), "%.1fs ago", static_cast<double>(std::max<int64_t>(milliseconds, 0)) / 1000);
    return text;
  }
  int64_t seconds = milliseconds / 1000;
  if (seconds < 120) return std::to_string(seconds) + "s ago";
  if (seconds < 7200) return std::to_string(seconds / 60) + "m ago";
  if (seconds < 172800) return std::to_string(seconds / 3600) + "h ago";
  return std::to_string(seconds / 86400) + "d ago";
}

std::string format_percent(int64_t part, int64_t whole) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f%%", whole > 0 ? 100.0 * static_cast<double>(part) / static_cast<double>(whole) : 0.0);
  return text;
}

}  // namespace vx::ctl
