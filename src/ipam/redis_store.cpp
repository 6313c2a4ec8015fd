#include "ipam/redis_store.h"

#include <spdlog/spdlog.h>

#include "ipam/keys.h"
#include "ipam/lua_scripts.h"

namespace vx {

namespace asio = boost::asio;

namespace {

const std::vector<std::string> kNoArgs;

// Bounds how long one script call keeps Redis busy.
constexpr size_t kMaxBatch = 128;

// Errors Redis answers while it cannot serve (starting, out of memory, a script running too long,
// a wrong password): the caller should retry later, as with an outage.
bool is_transient(const std::string& message) {
  for (const char* prefix : {"LOADING", "BUSY", "NOAUTH", "WRONGPASS", "READONLY", "OOM", "MASTERDOWN",
                             "TRYAGAIN", "CLUSTERDOWN"}) {
    if (message.starts_with(prefix)) return true;
  }
  return false;
}

const std::string& word(const RedisReply& reply, size_t index) {
  static const std::string kNone;
  return index < reply.elements.size() ? reply.elements[index].str : kNone;
}

uint64_t number(const RedisReply& reply, size_t index) {
  if (index >= reply.elements.size()) return 0;
  const RedisReply& element = reply.elements[index];
  if (element.type == RedisReply::Type::kInteger) return static_cast<uint64_t>(element.integer);
  return element.str.empty() ? 0 : std::stoull(element.str);
}

Error unexpected(const std::string& what, const RedisReply& reply) {
  return internal("unexpected_reply", "unexpected answer from Redis to " + what + ": '" +
                                          (reply.str.empty() ? word(reply, 0) : reply.str) + "'");
}

}  // namespace

RedisStore::RedisStore(asio::io_context& io, const RedisEndpoint& endpoint,
                       std::chrono::milliseconds timeout, const PoolSpec& pool, PoolState& state)
    : redis_(io, endpoint, timeout),
      pool_(pool),
      state_(state),
      init_{lua::kInitPool, {keys::kPool, keys::kPoolReserved, keys::kAvailable, keys::kAllocated}, {}},
      allocate_{lua::kAllocate,
                {keys::kPool, keys::kAvailable, keys::kAllocated, keys::kContainerIps,
                 keys::kContainerHosts, keys::kIpContainers},
                {}},
      release_{lua::kRelease,
               {keys::kPoolReserved, keys::kAvailable, keys::kAllocated, keys::kContainerIps,
                keys::kContainerHosts, keys::kIpContainers},
               {}},
      find_{lua::kFind, {keys::kContainerIps, keys::kContainerHosts}, {}},
      list_{lua::kList, {keys::kContainerIps, keys::kContainerHosts}, {}},
      stats_{lua::kStats, {keys::kAvailable, keys::kAllocated, keys::kPool}, {}},
      allocations_(io.get_executor(), kMaxBatch,
                   [this](const std::vector<AllocateRequest>& requests) { return allocate_batch(requests); }) {}

asio::awaitable<Result<RedisReply>> RedisStore::run(Script& script,
                                                    const std::vector<std::string>& args) {
  for (int attempt = 0;; ++attempt) {
    if (script.sha.empty()) {
      std::vector<std::string> load{"SCRIPT", "LOAD", script.source};
      auto loaded = co_await redis_.command(std::move(load));
      if (!loaded) co_return loaded.error();
      if (loaded->type != RedisReply::Type::kString) co_return unexpected("SCRIPT LOAD", *loaded);
      script.sha = loaded->str;
    }
    std::vector<std::string> argv{"EVALSHA", script.sha, std::to_string(script.keys.size())};
    argv.insert(argv.end(), script.keys.begin(), script.keys.end());
    argv.insert(argv.end(), args.begin(), args.end());
    auto reply = co_await redis_.command(std::move(argv));
    if (!reply) co_return reply.error();
    if (!reply->is_error()) co_return reply;
    if (reply->str.starts_with("NOSCRIPT") && attempt == 0) {  // Redis restarted or flushed its scripts
      script.sha.clear();
      continue;
    }
    if (is_transient(reply->str)) {
      co_return unavailable("redis_unavailable",
                            "Redis at " + redis_.endpoint().to_string() + " answered: " + reply->str);
    }
    co_return internal("redis_error", "Redis at " + redis_.endpoint().to_string() +
                                          " rejected a script: " + reply->str);
  }
}

asio::awaitable<Status> RedisStore::ensure_pool() {
  if (state_.ready) co_return Ok{};
  std::vector<std::string> args{pool_.subnet().to_string(), std::to_string(pool_.first().value()),
                                std::to_string(pool_.last().value()), std::to_string(pool_.size())};
  for (Ipv4 ip : pool_.reserved()) args.push_back(ip.to_string());
  auto reply = co_await run(init_, args);
  if (!reply) co_return reply.error();
  const std::string& outcome = word(*reply, 0);
  if (outcome == "created" || outcome == "existing") {
    if (outcome == "created" || !state_.ready.exchange(true)) {
      spdlog::info("pool {} ({} to {}, {} addresses) {} in Redis at {}", pool_.subnet().to_string(),
                   pool_.first().to_string(), pool_.last().to_string(), pool_.size(),
                   outcome == "created" ? "written" : "found", redis_.endpoint().to_string());
    }
    state_.ready = true;
    co_return Ok{};
  }
  if (outcome == "mismatch") {
    co_return unavailable(
        "pool_mismatch",
        "Redis at " + redis_.endpoint().to_string() + " holds the pool of " + word(*reply, 1) + " (" +
            word(*reply, 2) + " to " + word(*reply, 3) + "), but this IPAM is configured for " +
            pool_.subnet().to_string() + " (" + pool_.first().to_string() + " to " +
            pool_.last().to_string() + "); use the same --subnet and range, or another Redis database");
  }
  if (outcome == "reserved_in_use") {
    co_return unavailable("reserved_in_use", "address " + word(*reply, 1) +
                                                 " is configured as reserved but is allocated to a "
                                                 "container; release it first");
  }
  co_return unexpected("pool initialisation", *reply);
}

asio::awaitable<Result<AllocateResult>> RedisStore::allocate(const AllocateRequest& request) {
  for (int attempt = 0;; ++attempt) {
    auto ready = co_await ensure_pool();
    if (!ready) co_return ready.error();
    auto result = co_await allocations_.submit(request);
    if (result || result.error().code != "pool_missing" || attempt > 0) co_return result;
    spdlog::warn("Redis at {} lost the pool; writing it again", redis_.endpoint().to_string());
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
  auto reply = co_await run(allocate_, args);
  std::vector<Result<AllocateResult>> out;
  out.reserve(requests.size());
  for (size_t i = 0; i < requests.size(); ++i) {
    if (!reply) {
      out.push_back(reply.error());
    } else if (word(*reply, 0) == "uninitialised") {
      out.push_back(unavailable("pool_missing", "Redis holds no pool"));
    } else if (reply->elements.size() != requests.size() * 3) {
      out.push_back(unexpected("allocate", *reply));
    } else {
      out.push_back(allocation_outcome(requests[i], *reply, i * 3));
    }
  }
  co_return out;
}

Result<AllocateResult> RedisStore::allocation_outcome(const AllocateRequest& request,
                                                      const RedisReply& reply, size_t index) const {
  const std::string& outcome = word(reply, index);
  const std::string& address = word(reply, index + 1);
  const std::string& other = word(reply, index + 2);
  const std::string& name = request.container_name;
  if (outcome == "created" || outcome == "existing") {
    if (outcome == "created") spdlog::info("allocated {} to {} on {}", address, name, request.host_id);
    return AllocateResult{{name, address, request.host_id}, outcome == "created"};
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
  return unexpected("allocate", reply);
}

asio::awaitable<Result<Allocation>> RedisStore::release(const std::string& name,
                                                        const std::string& host_id) {
  std::vector<std::string> args{name, host_id};
  auto reply = co_await run(release_, args);
  if (!reply) co_return reply.error();
  const std::string& outcome = word(*reply, 0);
  if (outcome == "released") {
    spdlog::info("released {} of {} on {}", word(*reply, 1), name, word(*reply, 2));
    co_return Allocation{name, word(*reply, 1), word(*reply, 2)};
  }
  if (outcome == "not_found") {
    co_return not_found("unknown_container", "container '" + name + "' holds no address");
  }
  if (outcome == "host_mismatch") {
    co_return conflict("host_mismatch", "container '" + name + "' belongs to host '" + word(*reply, 2) +
                                            "', not '" + host_id + "'");
  }
  co_return unexpected("release", *reply);
}

asio::awaitable<Result<std::optional<Allocation>>> RedisStore::find(const std::string& name) {
  std::vector<std::string> args{name};
  auto reply = co_await run(find_, args);
  if (!reply) co_return reply.error();
  if (reply->elements.empty()) co_return std::optional<Allocation>();
  co_return std::optional<Allocation>(Allocation{name, word(*reply, 0), word(*reply, 1)});
}

asio::awaitable<Result<std::vector<Allocation>>> RedisStore::list() {
  auto reply = co_await run(list_, kNoArgs);
  if (!reply) co_return reply.error();
  std::vector<Allocation> out;
  out.reserve(reply->elements.size() / 3);
  for (size_t i = 0; i + 2 < reply->elements.size(); i += 3) {
    out.push_back({word(*reply, i), word(*reply, i + 1), word(*reply, i + 2)});
  }
  co_return out;
}

asio::awaitable<Result<PoolStats>> RedisStore::stats() {
  for (int attempt = 0;; ++attempt) {
    auto reply = co_await run(stats_, kNoArgs);
    if (!reply) co_return reply.error();
    if (!word(*reply, 2).empty()) {
      co_return PoolStats{number(*reply, 3), number(*reply, 1), number(*reply, 0), word(*reply, 2)};
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

}  // namespace vx
