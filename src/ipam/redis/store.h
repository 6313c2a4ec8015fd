// The Store on Redis: each operation is one Lua script (scripts.h) run with EVALSHA, loading
// the script again when Redis answers NOSCRIPT (after a restart, say). Allocations that arrive
// while one is in flight go to Redis together in one script call: Redis's per-call cost, not the
// work of an allocation, is what limits throughput. The pool is written on
// first use and again whenever Redis is found without one, so an IPAM started before Redis, or a
// Redis that lost its data, recovers without a restart.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>

#include "common/batcher.h"
#include "ipam/pool.h"
#include "ipam/redis/script.h"
#include "ipam/store.h"

namespace vx::ipam {

// Whether this process has seen the pool in Redis, and whether it saw it vanish since. Shared by
// the stores of all worker threads.
struct PoolState {
  std::atomic<bool> ready{false};
  // Set when Redis lost the pool under this process: the registry went with it, so the pool is
  // written again under a quarantine (scripts.h, InitPool) while the agents re-reserve.
  std::atomic<bool> lost{false};
  std::chrono::milliseconds quarantine{0};
};

class RedisStore : public Store {
 public:
  RedisStore(std::shared_ptr<RedisConnection> redis, const PoolSpec& pool, PoolState& state);

  boost::asio::awaitable<Result<AllocateResult>> allocate(const AllocateRequest& request) override;
  boost::asio::awaitable<Result<Allocation>> release(const std::string& name,
                                                     const std::string& host_id) override;
  boost::asio::awaitable<Result<std::optional<Allocation>>> find(const std::string& name) override;
  boost::asio::awaitable<Result<PoolStats>> stats() override;
  boost::asio::awaitable<Result<uint64_t>> revision() override;
  boost::asio::awaitable<Result<Allocation>> record_endpoint(const std::string& name,
                                                             const std::string& host_id,
                                                             const std::string& mac) override;
  boost::asio::awaitable<Status> check_health() override;

  // Writes the pool unless Redis holds it already; refuses a pool of another range.
  boost::asio::awaitable<Status> ensure_pool();

 private:
  boost::asio::awaitable<std::vector<Result<AllocateResult>>> allocate_batch(
      const std::vector<AllocateRequest>& requests);
  // Redis was found without the pool. If this process had seen it there, the registry went with it.
  void pool_missing();
  Result<AllocateResult> allocation_outcome(const AllocateRequest& request,
                                            const lua::Allocate::Outcome& result) const;

  std::shared_ptr<RedisConnection> redis_;
  const PoolSpec& pool_;
  PoolState& state_;
  RedisScript<lua::InitPool> init_;
  RedisScript<lua::Allocate> allocate_;
  RedisScript<lua::Release> release_;
  RedisScript<lua::RecordEndpoint> endpoint_;
  RedisScript<lua::Find> find_;
  RedisScript<lua::Stats> stats_;
  Batcher<AllocateRequest, Result<AllocateResult>> allocations_;
};

}  // namespace vx::ipam
