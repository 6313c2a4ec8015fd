#include "ipam/redis/store.h"

#include <spdlog/spdlog.h>


#include "ipam/redis/keys.h"
#include "ipam/redis/scripts.h"

namespace vx::ipam {

namespace asio = boost::asio;

namespace {

// Bounds how long one script call keeps Redis busy.
constexpr size_t kMaxBatch = 128;

}  // namespace

RedisStore::RedisStore(std::shared_ptr<RedisConnection> redis, const PoolSpec& pool, PoolState& state)
    : redis_(std::move(redis)),
      pool_(pool),
      state_(state),
      init_(lua::kInitPool),
      allocate_(lua::kAllocate),
      release_(lua::kRelease),
      endpoint_(lua::kRecordEndpoint),
      find_(lua::kFind),
      stats_(lua::kStats),
      allocations_(redis_->executor(), kMaxBatch,
                   [this](const std::vector<AllocateRequest>& requests) { return allocate_batch(requests); }) {}

asio::awaitable<Status> RedisStore::ensure_pool() {
  if (state_.ready) co_return Ok{};
  std::vector<std::string> args{pool_.subnet().to_string(), std::to_string(pool_.first().value()),
                                std::to_string(pool_.last().value()), std::to_string(pool_.size())};
  for (Ipv4 ip : pool_.reserved()) args.push_back(ip.to_string());
  auto reply = co_await init_.run(*redis_, args);
  if (!reply) co_return reply.error();
  const std::string& outcome = reply_text(*reply, 0);
  if (outcome == "created" || outcome == "existing") {
    if (outcome == "created" || !state_.ready.exchange(true)) {
      spdlog::info("pool {} ({} to {}, {} addresses) {} in Redis at {}", pool_.subnet().to_string(),
                   pool_.first().to_string(), pool_.last().to_string(), pool_.size(),
                   outcome == "created" ? "written" : "found", redis_->endpoint().to_string());
    }
    state_.ready = true;
    co_return Ok{};
  }
  if (outcome == "mismatch") {
    co_return unavailable(
        "pool_mismatch",
        "Redis at " + redis_->endpoint().to_string() + " holds the pool of " + reply_text(*reply, 1) + " (" +
            reply_text(*reply, 2) + " to " + reply_text(*reply, 3) + "), but this IPAM is configured for " +
            pool_.subnet().to_string() + " (" + pool_.first().to_string() + " to " +
            pool_.last().to_string() + "); use the same --subnet and range, or another Redis database");
  }
  if (outcome == "reserved_in_use") {
    co_return unavailable("reserved_in_use", "address " + reply_text(*reply, 1) +
                                                 " is configured as reserved but is allocated to a "
                                                 "container; release it first");
  }
  co_return unexpected_reply("pool initialisation", *reply);
}

asio::awaitable<Result<AllocateResult>> RedisStore::allocate(const AllocateRequest& request) {
  for (int attempt = 0;; ++attempt) {
    auto ready = co_await ensure_pool();
    if (!ready) co_return ready.error();
    auto result = co_await allocations_.submit(request);
    if (result || result.error().code != "pool_missing" || attempt > 0) co_return result;
    spdlog::warn("Redis at {} lost the pool; writing it again", redis_->endpoint().to_string());
    state_.ready = false;
  }
}

asio::awaitable<std::vector<Result<AllocateResult>>> RedisStore::allocate_batch(
    const std::vector<AllocateRequest>& requests) {
  std::vector<std::string> args;
  args.reserve(requests.size() * 3);
  for (const auto& request : requests) {
    args.push_back(request.container_name);
    args.push_back(request.host_id);
    args.push_back(request.ip_address ? request.ip_address->to_string() : "");
  }
  auto reply = co_await allocate_.run(*redis_, args);
  std::vector<Result<AllocateResult>> out;
  out.reserve(requests.size());
  for (size_t i = 0; i < requests.size(); ++i) {
    if (!reply) {
      out.push_back(reply.error());
    } else if (reply_text(*reply, 0) == "uninitialised") {
      out.push_back(unavailable("pool_missing", "Redis holds no pool"));
    } else if (reply->elements.size() != requests.size() * 3) {
      out.push_back(unexpected_reply("allocate", *reply));
    } else {
      out.push_back(allocation_outcome(requests[i], *reply, i * 3));
    }
  }
  co_return out;
}

Result<AllocateResult> RedisStore::allocation_outcome(const AllocateRequest& request,
                                                      const RedisReply& reply, size_t index) const {
  const std::string& outcome = reply_text(reply, index);
  const std::string& address = reply_text(reply, index + 1);
  const std::string& other = reply_text(reply, index + 2);
  const std::string& name = request.container_name;
  if (outcome == "created" || outcome == "existing") {
    if (outcome == "created") spdlog::info("allocated {} to {} on {}", address, name, request.host_id);
    return AllocateResult{{name, address, request.host_id, {}}, outcome == "created"};
  }
  if (outcome == "name_conflict") {
    return conflict("name_conflict", "container name '" + name + "' is held by host '" + other +
                                         "' (address " + address + ")");
  }
  if (outcome == "name_holds_other_ip") {
    return conflict("name_conflict", "container name '" + name + "' already holds " + address +
                                         ", not " + request.ip_address->to_string());
  }
  if (outcome == "ip_taken") {
    return conflict("ip_taken", "address " + address + " is held by container '" + other + "'");
  }
  if (outcome == "ip_unavailable") {
    return conflict("ip_unavailable", "address " + address + " is not free in the pool");
  }
  if (outcome == "exhausted") {
    return conflict("pool_exhausted", "no free address is left in " + pool_.subnet().to_string() +
                                          " (all " + std::to_string(pool_.size()) +
                                          " are allocated); release some first");
  }
  return unexpected_reply("allocate", reply);
}

asio::awaitable<Result<Allocation>> RedisStore::release(const std::string& name,
                                                        const std::string& host_id) {
  std::vector<std::string> args{name, host_id};
  auto reply = co_await release_.run(*redis_, args);
  if (!reply) co_return reply.error();
  const std::string& outcome = reply_text(*reply, 0);
  if (outcome == "released") {
    spdlog::info("released {} of {} on {}", reply_text(*reply, 1), name, reply_text(*reply, 2));
    co_return Allocation{name, reply_text(*reply, 1), reply_text(*reply, 2), {}};
  }
  if (outcome == "not_found") {
    co_return no_address(name);
  }
  if (outcome == "host_mismatch") {
    co_return conflict("host_mismatch", "container '" + name + "' belongs to host '" + reply_text(*reply, 2) +
                                            "', not '" + host_id + "'");
  }
  co_return unexpected_reply("release", *reply);
}

asio::awaitable<Result<std::optional<Allocation>>> RedisStore::find(const std::string& name) {
  std::vector<std::string> args{name};
  auto reply = co_await find_.run(*redis_, args);
  if (!reply) co_return reply.error();
  if (reply->elements.empty()) co_return std::optional<Allocation>();
  co_return std::optional<Allocation>(
      Allocation{name, reply_text(*reply, 0), reply_text(*reply, 1), reply_text(*reply, 2)});
}

asio::awaitable<Result<uint64_t>> RedisStore::revision() {
  std::vector<std::string> get{"GET", keys::kRevision};
  auto reply = co_await redis_->command(std::move(get));
  if (!reply) co_return reply.error();
  if (reply->is_error()) co_return unavailable("redis_unavailable", "Redis answered GET with: " + reply->str);
  co_return text_number(reply->str);  // 0, none yet, when nil
}

asio::awaitable<Result<Allocation>> RedisStore::record_endpoint(const std::string& name,
                                                                const std::string& host_id,
                                                                const std::string& mac) {
  std::vector<std::string> args{name, host_id, mac};
  auto reply = co_await endpoint_.run(*redis_, args);
  if (!reply) co_return reply.error();
  const std::string& outcome = reply_text(*reply, 0);
  if (outcome == "recorded") {
    spdlog::info("recorded MAC {} of {} on {}", mac, name, host_id);
    co_return Allocation{name, reply_text(*reply, 1), host_id, mac};
  }
  if (outcome == "not_found") {
    co_return no_address(name);
  }
  if (outcome == "host_mismatch") {
    co_return conflict("host_mismatch", "container '" + name + "' belongs to host '" +
                                            reply_text(*reply, 1) + "', not '" + host_id + "'");
  }
  co_return unexpected_reply("record endpoint", *reply);
}

asio::awaitable<Result<PoolStats>> RedisStore::stats() {
  for (int attempt = 0;; ++attempt) {
    auto reply = co_await stats_.run(*redis_, kNoScriptArgs);
    if (!reply) co_return reply.error();
    if (!reply_text(*reply, 2).empty()) {
      co_return PoolStats{reply_number(*reply, 3), reply_number(*reply, 1), reply_number(*reply, 0), reply_text(*reply, 2)};
    }
    if (attempt > 0) co_return unavailable("pool_missing", "Redis holds no pool");
    state_.ready = false;  // Redis lost its data, or nobody wrote the pool yet
    auto ready = co_await ensure_pool();
    if (!ready) co_return ready.error();
  }
}

asio::awaitable<Status> RedisStore::check_health() {
  auto stats = co_await this->stats();
  if (!stats) co_return stats.error();
  if (stats->subnet == pool_.subnet().to_string()) co_return Ok{};
  state_.ready = false;  // another IPAM wrote another pool: say precisely how they differ
  co_return co_await ensure_pool();
}

}  // namespace vx::ipam
