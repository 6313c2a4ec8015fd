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
// How many replicas an allocation must reach before it is answered (WAIT), and how long it may
// take them, so that a failover never loses an allocation that was answered. When the master has
// fewer replicas connected, all of them must have it: with none, there is nothing a failover could
// promote, and the allocation is as safe as the master's append-only file.
struct Durability {
  int replicas = 0;
  std::chrono::milliseconds timeout{1000};
};

struct PoolState {
  std::atomic<bool> ready{false};
  // Set when Redis lost the pool under this process: the registry went with it, so the pool is
  // written again under a quarantine (scripts.h, InitPool) while the agents re-reserve.
  std::atomic<bool> lost{false};
  std::chrono::milliseconds quarantine{0};
};

class RedisStore : public Store {
 public:
  RedisStore(std::shared_ptr<RedisConnection> redis, const PoolSpec& pool, PoolState& state,
             Durability durability = {});

  boost::asio::awaitable<Result<AllocateResult>> allocate(const AllocateRequest& request,
                                                          const std::string& instance) override;
  boost::asio::awaitable<Result<Allocation>> release(const proto::ReleaseRequest& request,
                                                     const std::string& instance) override;
  boost::asio::awaitable<Result<std::optional<Allocation>>> find(const std::string& name) override;
  boost::asio::awaitable<Result<PoolStats>> stats(const std::string& network) override;
  boost::asio::awaitable<Result<NetworkResult>> create_network(const proto::NetworkRequest& request) override;
  boost::asio::awaitable<Status> delete_network(const std::string& name) override;
  boost::asio::awaitable<Result<std::vector<NetworkStatus>>> networks(const std::string& name) override;
  boost::asio::awaitable<Result<uint64_t>> revision() override;
  boost::asio::awaitable<Result<Allocation>> record_endpoint(const std::string& name,
                                                             const std::string& host_id,
                                                             const std::string& mac,
                                                             const std::string& instance) override;
  boost::asio::awaitable<Result<Allocation>> rename(const std::string& name, const std::string& to,
                                                    const std::string& host_id, const std::string& instance) override;
  boost::asio::awaitable<Status> check_health() override;

  // Writes the pool unless Redis holds it already; refuses a pool of another range.
  boost::asio::awaitable<Status> ensure_pool();

 private:
  struct PendingAllocation {
    AllocateRequest request;
    std::string instance;
  };

  boost::asio::awaitable<std::vector<Result<AllocateResult>>> allocate_batch(
      const std::vector<PendingAllocation>& requests);
  // Redis was found without the pool. If this process had seen it there, the registry went with it.
  void pool_missing();
  // Ok once `durability_.replicas` replicas (or every connected one) hold every write made so far
  // on this connection.
  boost::asio::awaitable<Status> replicated();
  // The master's connected replicas, asked at most once a second.
  boost::asio::awaitable<Result<int>> connected_replicas();
  Result<AllocateResult> allocation_outcome(const AllocateRequest& request,
                                            const lua::Allocate::Outcome& result) const;

  std::shared_ptr<RedisConnection> redis_;
  const PoolSpec& pool_;
  PoolState& state_;
  Durability durability_;
  std::chrono::steady_clock::time_point replicas_checked_{};
  int replicas_connected_ = 0;
  RedisScript<lua::InitPool> init_;
  RedisScript<lua::Allocate> allocate_;
  RedisScript<lua::Release> release_;
  RedisScript<lua::RecordEndpoint> endpoint_;
  RedisScript<lua::Rename> rename_;
  RedisScript<lua::Find> find_;
  RedisScript<lua::Stats> stats_;
  RedisScript<lua::CreateNetwork> create_network_;
  RedisScript<lua::DeleteNetwork> delete_network_;
  RedisScript<lua::ListNetworks> list_networks_;
  Batcher<PendingAllocation, Result<AllocateResult>> allocations_;
};

}  // namespace vx::ipam
