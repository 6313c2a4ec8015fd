// The Lua scripts that change or read the registry. Each runs atomically inside Redis, so every
// state the registry can be seen in, even after a crash or kill, satisfies the invariants:
// available_ips and allocated_ips are disjoint and together exactly the pool, every allocated
// address has one name that points back to it, and every change to hosts or endpoints is in the
// change log under its own revision. Each returns a status word first, never an error reply, so
// the caller maps outcomes to answers in one place. Their KEYS and ARGV are documented beside each
// source.
#pragma once

#include <string>
#include <vector>

namespace vx::ipam::lua {

// A script and the keys it touches, in the order its KEYS name them: declared once, beside the
// source, so that no caller lists them again.
struct Script {
  std::string source;
  std::vector<std::string> keys;
};

extern const Script kInitPool;
extern const Script kAllocate;
extern const Script kRelease;
extern const Script kRecordEndpoint;
extern const Script kFind;
extern const Script kStats;
extern const Script kRegisterHost;
extern const Script kHeartbeat;
extern const Script kSweepHosts;
extern const Script kLeaveHost;
extern const Script kHeartbeats;
extern const Script kMarkLifetime;
extern const Script kFeedPosition;

}  // namespace vx::ipam::lua
