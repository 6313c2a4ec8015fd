// What vxctl printed, held against the cluster the benchmark registered: a listing that is fast
// because it left hosts or containers out must fail the run, not meet its target.
#pragma once

#include <stdexcept>

#include "cli_timing.h"

namespace cpbench {

struct CliBroken : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Throws CliBroken, naming the command, unless `vxctl hosts` (a header, then a row per host) and
// `vxctl --json hosts` list `hosts` hosts whose containers add up to `containers` (GET /hosts
// counts no host's gateway), and `vxctl stats` counts `containers` addresses used: no agent runs
// here, so no gateway holds one.
void check_vxctl_output(const VxctlRuns& runs, size_t hosts, size_t containers);

}  // namespace cpbench
