#include "agent/fdb_plan.h"

#include <algorithm>
#include <iterator>

namespace vx::agent {

FdbPlan plan_fdb(std::vector<FdbEntry> desired, std::vector<FdbEntry> current) {
  std::sort(desired.begin(), desired.end());
  std::sort(current.begin(), current.end());
  FdbPlan plan;
  std::set_difference(current.begin(), current.end(), desired.begin(), desired.end(),
                      std::back_inserter(plan.remove));
  std::set_difference(desired.begin(), desired.end(), current.begin(), current.end(),
                      std::back_inserter(plan.add));
  return plan;
}

}  // namespace vx::agent
