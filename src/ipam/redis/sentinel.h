// The Redis Sentinel client protocol (redis.io, "Sentinel client spec"), for a sentinel:// URL:
//  - resolve_master() asks each Sentinel in turn, each bounded by a short timeout, where the
//    master is (SENTINEL get-master-addr-by-name), and believes the answer only once that server,
//    asked with ROLE, says it is a master; the connections call it on every (re)connect;
//  - SentinelWatch follows +switch-master on one Sentinel after another and counts the switches of
//    our master in SentinelSet::switches, so that every connection moves to the new master at once
//    instead of at its next failure.
// A server answering READONLY or MASTERDOWN is a failover in progress: connection.h drops it and
// resolves again. Both use blocking hiredis connections: resolution runs only on reconnects and is
// bounded by the number of Sentinels times the timeout, and the watch has a thread of its own.
#pragma once

#include <atomic>
#include <chrono>
#include <thread>

#include "common/error.h"
#include "ipam/redis/url.h"

namespace vx::ipam {

// Where the master of `endpoint.sentinel` is. kUnavailable "redis_unavailable" saying what each
// Sentinel answered when none gave a master that confirms it.
Result<RedisAddress> resolve_master(const RedisEndpoint& endpoint, std::chrono::milliseconds timeout);

class SentinelWatch {
 public:
  explicit SentinelWatch(RedisEndpoint endpoint, std::chrono::milliseconds timeout = std::chrono::milliseconds(500));
  ~SentinelWatch();  // stops and joins within about a second
  SentinelWatch(const SentinelWatch&) = delete;
  SentinelWatch& operator=(const SentinelWatch&) = delete;

 private:
  void run();
  // Subscribes on one Sentinel and reads until it fails or the watch stops.
  void follow(const RedisAddress& sentinel);

  RedisEndpoint endpoint_;
  std::chrono::milliseconds timeout_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace vx::ipam
