// The numbers of a run: percentiles, and the summary table that sets each beside its target.
#pragma once

#include <string>
#include <vector>

namespace cpbench {

// The q-quantile (0..1) by nearest rank; 0 for no samples.
double percentile(std::vector<double> samples, double q);

std::string fixed(double value, int decimals);

class Summary {
 public:
  // A number with no target: information for the reader.
  void info(const std::string& metric, const std::string& value);
  // A number and its target: "ok" when met, "MISSED" otherwise.
  void check(const std::string& metric, const std::string& value, const std::string& target, bool met);

  void print() const;
  size_t missed() const;

 private:
  struct Row {
    std::string metric, value, target, verdict;
  };
  std::vector<Row> rows_;
};

}  // namespace cpbench
