#include "report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace cpbench {

double percentile(std::vector<double> samples, double q) {
  if (samples.empty()) return 0;
  std::sort(samples.begin(), samples.end());
  auto rank = static_cast<size_t>(std::ceil(q * static_cast<double>(samples.size())));
  return samples[std::clamp<size_t>(rank, 1, samples.size()) - 1];
}

std::string fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

void Summary::info(const std::string& metric, const std::string& value) { rows_.push_back({metric, value, "", ""}); }

void Summary::check(const std::string& metric, const std::string& value, const std::string& target, bool met) {
  rows_.push_back({metric, value, target, met ? "ok" : "MISSED"});
}

void Summary::print() const {
  size_t metric_width = 6, value_width = 5, target_width = 6;
  for (const Row& row : rows_) {
    metric_width = std::max(metric_width, row.metric.size());
    value_width = std::max(value_width, row.value.size());
    target_width = std::max(target_width, row.target.size());
  }
  auto line = [&](const std::string& metric, const std::string& value, const std::string& target,
                  const std::string& verdict) {
    char text[1024];
    std::snprintf(text, sizeof text, "  %-*s  %-*s  %-*s  %s", static_cast<int>(metric_width), metric.c_str(),
                  static_cast<int>(value_width), value.c_str(), static_cast<int>(target_width), target.c_str(),
                  verdict.c_str());
    std::string out = text;
    out.erase(out.find_last_not_of(' ') + 1);
    std::printf("%s\n", out.c_str());
  };
  line("metric", "value", "target", "result");
  for (const Row& row : rows_) line(row.metric, row.value, row.target, row.verdict);
}

size_t Summary::missed() const {
  return std::count_if(rows_.begin(), rows_.end(), [](const Row& row) { return row.verdict == "MISSED"; });
}

}  // namespace cpbench
