// Where Redis is: redis://[:PASSWORD@]HOST[:PORT][/DB], the form redis-cli and most clients take,
// or sentinel://[:PASSWORD@]HOST[:PORT][,HOST[:PORT]...]/MASTER_NAME[/DB], the Sentinels that know
// where the master named MASTER_NAME is (sentinel.h). The password is Redis's (the master's and
// the replicas'); the Sentinels are asked without one.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace vx::ipam {

struct RedisAddress {
  std::string host;
  uint16_t port = 0;

  std::string to_string() const { return host + ":" + std::to_string(port); }
};

// The Sentinels of a sentinel:// URL. One object is shared by every connection made from the
// URL, so that a master switch one Sentinel announces (SentinelWatch) reaches all of them.
struct SentinelSet {
  std::vector<RedisAddress> sentinels;
  std::string master_name;
  std::atomic<uint64_t> switches{0};  // master switches announced since start
};

struct RedisEndpoint {
  // For redis://, the server; for sentinel://, where the Sentinels last said the master is.
  std::string host = "127.0.0.1";
  uint16_t port = 6379;
  std::string password;  // empty: no AUTH
  int db = 0;
  std::shared_ptr<SentinelSet> sentinel;  // set for sentinel://

  // Safe to log: never the password. "host:port/db", or "master NAME (host:port/db) of the
  // Sentinels at h1:p1,h2:p2".
  std::string to_string() const;
};

inline constexpr uint16_t kSentinelPort = 26379;

Result<RedisEndpoint> parse_redis_url(std::string_view url);

}  // namespace vx::ipam
