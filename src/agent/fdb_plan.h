// The changes that take a VXLAN device's forwarding state (its forwarding entries, its neighbour
// entries) from what it holds to what it should hold (peer_model.h says what that is). Pure
// functions, so that the reconciler's decisions can be tested without a kernel.
#pragma once

#include <algorithm>
#include <iterator>
#include <vector>

#include "agent/dataplane.h"

namespace vx::agent {

template <class Entry>
struct Plan {
  std::vector<Entry> remove;  // apply first: a MAC that moved is replaced, not doubled
  std::vector<Entry> add;
  bool empty() const { return remove.empty() && add.empty(); }
};

using FdbPlan = Plan<FdbEntry>;
using NeighbourPlan = Plan<NeighbourEntry>;

// What one device needs: both plans.
struct DevicePlan {
  FdbPlan fdb;
  NeighbourPlan neighbours;
  bool empty() const { return fdb.empty() && neighbours.empty(); }
};

template <class Entry>
Plan<Entry> plan_changes(std::vector<Entry> desired, std::vector<Entry> current) {
  std::sort(desired.begin(), desired.end());
  std::sort(current.begin(), current.end());
  Plan<Entry> plan;
  std::set_difference(current.begin(), current.end(), desired.begin(), desired.end(),
                      std::back_inserter(plan.remove));
  std::set_difference(desired.begin(), desired.end(), current.begin(), current.end(),
                      std::back_inserter(plan.add));
  return plan;
}

inline FdbPlan plan_fdb(std::vector<FdbEntry> desired, std::vector<FdbEntry> current) {
  return plan_changes(std::move(desired), std::move(current));
}

}  // namespace vx::agent
