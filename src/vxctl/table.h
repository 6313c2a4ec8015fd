// The readable output of vxctl's listings: columns padded to their widest cell, two spaces apart,
// headers in capitals, no trailing blanks. Rows shorter than the header are padded with "-".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vx::ctl {

class Table {
 public:
  explicit Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}

  void add_row(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
  std::string render() const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// "KEY   value" lines, keys padded to the longest: for one object (inspect, stats).
std::string render_fields(const std::vector<std::pair<std::string, std::string>>& fields);

// "0.3s ago", "12s ago", "4m ago", "2h ago", "3d ago".
std::string format_age(int64_t milliseconds);

// 3 of 65534 as "0.0%", 65534 of 65534 as "100.0%".
std::string format_percent(int64_t part, int64_t whole);

}  // namespace vx::ctl
