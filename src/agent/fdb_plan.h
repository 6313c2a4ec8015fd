// The changes that take a VXLAN device's forwarding entries from what it holds to what it should
// hold (peer_model.h says what that is). A pure function, so that the reconciler's decisions can
// be tested without a kernel.
#pragma once

#include <vector>

#include "agent/dataplane.h"

namespace vx::agent {

struct FdbPlan {
  std::vector<FdbEntry> remove;  // apply first: a MAC that moved is replaced, not doubled
  std::vector<FdbEntry> add;
  bool empty() const { return remove.empty() && add.empty(); }
};

FdbPlan plan_fdb(std::vector<FdbEntry> desired, std::vector<FdbEntry> current);

}  // namespace vx::agent
