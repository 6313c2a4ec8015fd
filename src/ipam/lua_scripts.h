// The Lua scripts that change or read the registry. Each runs atomically inside Redis, so every
// state the registry can be seen in, even after a crash or kill, satisfies the invariants:
// available_ips and allocated_ips are disjoint and together exactly the pool, and every allocated
// address has one name that points back to it. Each returns a status word first, never an error
// reply, so the caller maps outcomes to answers in one place. Their KEYS and ARGV are documented
// beside each source.
#pragma once

namespace vx::lua {

extern const char* const kInitPool;
extern const char* const kAllocate;
extern const char* const kRelease;
extern const char* const kRecordEndpoint;
extern const char* const kFind;
extern const char* const kList;
extern const char* const kStats;
extern const char* const kRegisterHost;
extern const char* const kHeartbeat;
extern const char* const kLeaveHost;
extern const char* const kListHosts;
extern const char* const kPeers;

}  // namespace vx::lua
