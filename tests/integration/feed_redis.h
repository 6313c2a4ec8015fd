// Redis as the IpamFeed tests see it behind the IPAM's back: the registry read straight from its
// keys, its append-only files backed up and put back (to roll Redis back or make it lose
// writes), and the lines of an IPAM's log about its change feed, for a failure's report.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "feed_client.h"
#include "support/ipam_daemon.h"
#include "support/redis_server.h"

namespace vx::test {

// What Redis holds, read straight from the registry's keys (README), as a View: the truth the
// IPAM's snapshot must show. Hosts are alive (the tests that use it never let one expire).
View view_in_redis(RedisClient& redis);

// Redis's data directory (CONFIG GET dir), or nullopt.
std::optional<std::filesystem::path> data_dir(const RedisServer& redis);
// Copies Redis's append-only files (appendonly*) from `dir` into `backup`.
void back_up_aof(const std::filesystem::path& dir, const std::filesystem::path& backup);
// Replaces the append-only files in `dir` with what `backup` holds (with Redis down).
void restore_aof(const std::filesystem::path& dir, const std::filesystem::path& backup);

// The lines of an IPAM's log about its change feed (lifetimes, loads, resets).
std::string feed_log(IpamDaemon& ipam);

}  // namespace vx::test
