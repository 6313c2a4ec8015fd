// The Lua scripts that change or read the registry. Each runs atomically inside Redis, so every
// state the registry can be seen in, even after a crash or kill, satisfies the invariants:
// available_ips and allocated_ips are disjoint and together exactly the pool, every allocated
// address has one name that points back to it, and every change to hosts or endpoints is in the
// change log under its own revision. Each returns a status word first, never an error reply, so
// the caller maps outcomes to answers in one place. Their KEYS and ARGV are documented beside each
// source.
#pragma once

#include <string>

namespace vx::ipam::lua {

extern const std::string kInitPool;
extern const std::string kAllocate;
extern const std::string kRelease;
extern const std::string kRecordEndpoint;
extern const std::string kFind;
extern const std::string kStats;
extern const std::string kRegisterHost;
extern const std::string kHeartbeat;
extern const std::string kSweepHosts;
extern const std::string kLeaveHost;
extern const std::string kHeartbeats;
extern const std::string kMarkLifetime;
extern const std::string kFeedPosition;

}  // namespace vx::ipam::lua
