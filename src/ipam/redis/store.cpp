#include "ipam/redis/store.h"

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <string_view>

#include "ipam/redis/keys.h"

namespace vx::ipam {

namespace asio = boost::asio;

namespace {

// Bounds how long one script call keeps Redis busy.
constexpr size_t kMaxBatch = 128;

}  // namespace

RedisStore::RedisStore(std::shared_ptr<RedisConnection> redis, const PoolSpec& pool, PoolState& state,
                       Durability durability)
    : redis_(std::move(redis)),
      pool_(pool),
      state_(state),
      durability_(durability),
      init_(lua::kInitPool),
      allocate_(lua::kAllocate),
      release_(lua::kRelease),
      endpoint_(lua::kRecordEndpoint),
      rename_(lua::kRename),
      find_(lua::kFind),
      stats_(lua::kStats),
      create_network_(lua::kCreateNetwork),
      delete_network_(lua::kDeleteNetwork),
      list_networks_(lua::kListNetworks),
      allocations_(redis_->executor(), kMaxBatch,
                   [this](const std::vector<PendingAllocation>& requests) { return allocate_batch(requests); }) {}

asio::awaitable<Status> RedisStore::ensure_pool() {
  if (state_.ready) co_return Ok{};
  lua::InitPool::Args args{.subnet = pool_.subnet().to_string(),
                           .net_first = pool_.subnet().network().value(),
                           .net_last = pool_.subnet().broadcast().value(),
                           .first = pool_.first().value(),
                           .last = pool_.last().value(),
                           .total = pool_.size(),
                           .vni = proto::kDefaultVni,
                           .quarantine_ms = state_.lost ? static_cast<uint64_t>(state_.quarantine.count()) : 0,
                           .reserved = {}};
  for (Ipv4 ip : pool_.reserved()) args.reserved.push_back(ip.to_string());
  auto reply = co_await init_.run(*redis_, args);
  if (!reply) co_return reply.error();
  const std::string& outcome = reply->outcome;
  if (outcome == "created" || outcome == "existing") {
    if (outcome == "created" && state_.lost.exchange(false) && state_.quarantine.count() > 0) {
      spdlog::warn("Redis at {} lost the registry: for {} ms only addresses asked for by name are handed out, "
                   "while the agents reserve their containers' again",
                   redis_->endpoint().to_string(), state_.quarantine.count());
    }
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
        "Redis at " + redis_->endpoint().to_string() + " holds the pool of " + reply->subnet + " (" +
            reply->first + " to " + reply->last + "), but this IPAM is configured for " +
            pool_.subnet().to_string() + " (" + pool_.first().to_string() + " to " +
            pool_.last().to_string() + "); use the same --subnet and range, or another Redis database");
  }
  if (outcome == "reserved_in_use") {
    co_return unavailable("reserved_in_use", "address " + reply->address +
                                                 " is configured as reserved but is allocated to a "
                                                 "container; release it first");
  }
  co_return init_.unexpected(outcome);
}

asio::awaitable<Result<AllocateResult>> RedisStore::allocate(const AllocateRequest& request,
                                                             const std::string& instance) {
  for (int attempt = 0;; ++attempt) {
    auto ready = co_await ensure_pool();
    if (!ready) co_return ready.error();
    PendingAllocation pending{request, instance};  // GCC 12 mishandles a braced temporary in co_await
    auto result = co_await allocations_.submit(std::move(pending));
    if (result || result.error().code != "pool_missing" || attempt > 0) co_return result;
    spdlog::warn("Redis at {} lost the pool; writing it again", redis_->endpoint().to_string());
    pool_missing();
  }
}

asio::awaitable<std::vector<Result<AllocateResult>>> RedisStore::allocate_batch(
    const std::vector<PendingAllocation>& requests) {
  lua::Allocate::Args args{.subnet = pool_.subnet().to_string(),
                          .first = pool_.first().value(),
                          .last = pool_.last().value(),
                          .requests = {}};
  args.requests.reserve(requests.size());
  for (const auto& [request, instance] : requests) {
    args.requests.push_back({request.container_name, request.host_id,
                             request.ip_address ? request.ip_address->to_string() : "", instance, request.network});
  }
  auto reply = co_await allocate_.run(*redis_, args);
  if (reply && reply->status == "pool_mismatch") {
    // Another IPAM wrote its pool over ours: nothing is allocated, and the pool check says whose.
    state_.ready = false;
    Status pool = co_await ensure_pool();
    Error refused = pool ? unavailable("pool_mismatch", "the pool in Redis changed under this IPAM") : pool.error();
    co_return std::vector<Result<AllocateResult>>(requests.size(), refused);
  }
  Status durable = Ok{};
  if (reply && reply->status == "applied") durable = co_await replicated();
  std::vector<Result<AllocateResult>> out;
  out.reserve(requests.size());
  for (size_t i = 0; i < requests.size(); ++i) {
    if (!reply) {
      out.push_back(reply.error());
    } else if (reply->status == "uninitialised") {
      out.push_back(unavailable("pool_missing", "Redis holds no pool"));
    } else if (reply->status != "applied" || reply->outcomes.size() != requests.size()) {
      out.push_back(allocate_.unexpected(reply->status));
    } else if (!durable && reply->outcomes[i].outcome == "created") {
      out.push_back(durable.error());  // asked again, the name gets the same address, or a new one after a failover
    } else {
      out.push_back(allocation_outcome(requests[i].request, reply->outcomes[i]));
    }
  }
  co_return out;
}

Result<AllocateResult> RedisStore::allocation_outcome(const AllocateRequest& request,
                                                      const lua::Allocate::Outcome& result) const {
  const std::string& outcome = result.outcome;
  const std::string& address = result.address;
  const std::string& name = request.container_name;
  if (outcome == "created" || outcome == "existing") {
    if (outcome == "created") {
      spdlog::info("allocated {} on {} to {} on {}", address, request.network, name, request.host_id);
    }
    return AllocateResult{{name, address, request.host_id, {}, request.network}, outcome == "created"};
  }
  if (outcome == "unknown_network") return no_network(request.network);
  if (outcome == "name_on_other_network") {
    return conflict("name_conflict", "container name '" + name + "' holds " + address + " on network '" +
                                         result.network + "', not '" + request.network +
                                         "': names are unique across the cluster's networks");
  }
  if (outcome == "name_conflict") {
    return conflict("name_conflict", "container name '" + name + "' is held by host '" + result.owner +
                                         "' (address " + address + ")");
  }
  if (outcome == "name_holds_other_ip") {
    return conflict("name_conflict", "container name '" + name + "' already holds " + address +
                                         ", not " + request.ip_address->to_string());
  }
  if (outcome == "ip_taken") {
    return conflict("ip_taken", "address " + address + " is held by container '" + result.holder + "'");
  }
  if (outcome == "ip_unavailable") {
    return conflict("ip_unavailable", "address " + address + " is not free in the pool");
  }
  if (outcome == "wrong_instance") return instance_mismatch(request.host_id);
  if (outcome == "quarantined") {
    return unavailable("pool_quarantined", "Redis lost the registry: for " + address +
                                               " ms more, only addresses asked for by name are handed out, while "
                                               "the agents reserve their containers' again");
  }
  if (outcome == "exhausted" && request.network != proto::kDefaultNetwork) {
    return conflict("pool_exhausted", "no free address is left on network '" + request.network +
                                          "'; release some first");
  }
  if (outcome == "exhausted") {
    return conflict("pool_exhausted", "no free address is left in " + pool_.subnet().to_string() +
                                          " (all " + std::to_string(pool_.size()) +
                                          " are allocated); release some first");
  }
  return allocate_.unexpected(outcome);
}

asio::awaitable<Result<Allocation>> RedisStore::release(const proto::ReleaseRequest& request,
                                                        const std::string& instance) {
  const std::string& name = request.container_name;
  const std::string& host_id = request.host_id;
  lua::Release::Args args{.name = name,
                          .host = host_id,
                          .instance = instance,
                          .network = request.network,
                          .mac = request.mac_address};
  auto reply = co_await release_.run(*redis_, args);
  if (!reply) co_return reply.error();
  const std::string& outcome = reply->outcome;
  if (outcome == "released") {
    spdlog::info("released {} on {} of {} on {}", reply->address, reply->network, name, reply->owner);
    co_return Allocation{name, reply->address, reply->owner, {}, reply->network};
  }
  if (outcome == "network_mismatch") {
    co_return conflict("network_mismatch", "container '" + name + "' is on network '" + reply->network +
                                               "', not '" + request.network + "'");
  }
  if (outcome == "mac_mismatch") {
    co_return conflict("mac_mismatch", "container '" + name + "' is not held with MAC " + request.mac_address +
                                           " (another or none is recorded): it passed to another container");
  }
  if (outcome == "not_found") {
    co_return no_address(name);
  }
  if (outcome == "host_mismatch") {
    co_return conflict("host_mismatch", "container '" + name + "' belongs to host '" + reply->owner + "', not '" +
                                            host_id + "'");
  }
  if (outcome == "wrong_instance") co_return instance_mismatch(host_id);
  if (outcome == "owner_alive") {
    co_return conflict("host_alive", "container '" + name + "' is on host '" + reply->owner +
                                         "', which is alive: remove it through its agent (vxctl rm " + name +
                                         "), or name the host (host_id) to release it regardless");
  }
  co_return release_.unexpected(outcome);
}

asio::awaitable<Result<std::optional<Allocation>>> RedisStore::find(const std::string& name) {
  lua::Find::Args args{.name = name};
  auto reply = co_await find_.run(*redis_, args);
  if (!reply) co_return reply.error();
  if (reply->address.empty()) co_return std::optional<Allocation>();
  co_return std::optional<Allocation>(Allocation{name, reply->address, reply->host, reply->mac, reply->network});
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
                                                                const std::string& mac,
                                                                const std::string& instance) {
  lua::RecordEndpoint::Args args{.name = name, .host = host_id, .mac = mac, .instance = instance};
  auto reply = co_await endpoint_.run(*redis_, args);
  if (!reply) co_return reply.error();
  const std::string& outcome = reply->outcome;
  if (outcome == "recorded") {
    spdlog::info("recorded MAC {} of {} on {}", mac, name, host_id);
    co_return Allocation{name, reply->address, host_id, mac};
  }
  if (outcome == "not_found") {
    co_return no_address(name);
  }
  if (outcome == "host_mismatch") {
    co_return conflict("host_mismatch", "container '" + name + "' belongs to host '" + reply->owner + "', not '" +
                                            host_id + "'");
  }
  if (outcome == "wrong_instance") co_return instance_mismatch(host_id);
  if (outcome == "mac_taken") {
    co_return conflict("mac_taken", "MAC " + mac + " is recorded for container '" + reply->holder + "'");
  }
  co_return endpoint_.unexpected(outcome);
}

asio::awaitable<Result<Allocation>> RedisStore::rename(const std::string& name, const std::string& to,
                                                       const std::string& host_id, const std::string& instance) {
  lua::Rename::Args args{.name = name, .to = to, .host = host_id, .instance = instance};
  auto reply = co_await rename_.run(*redis_, args);
  if (!reply) co_return reply.error();
  const std::string& outcome = reply->outcome;
  if (outcome == "renamed") {
    spdlog::info("renamed {} to {} ({} on {})", name, to, reply->address, host_id);
    co_return Allocation{to, reply->address, host_id, reply->mac, reply->network};
  }
  if (outcome == "not_found") co_return no_address(name);
  if (outcome == "host_mismatch") {
    co_return conflict("host_mismatch", "container '" + name + "' belongs to host '" + reply->owner + "', not '" +
                                            host_id + "'");
  }
  if (outcome == "wrong_instance") co_return instance_mismatch(host_id);
  if (outcome == "name_conflict") {
    co_return conflict("name_conflict", "container name '" + to + "' holds " + reply->address + " on host '" +
                                            reply->owner + "'");
  }
  co_return rename_.unexpected(outcome);
}

asio::awaitable<Result<int>> RedisStore::connected_replicas() {
  auto now = std::chrono::steady_clock::now();
  if (now - replicas_checked_ < std::chrono::seconds(1)) co_return replicas_connected_;
  // INFO, not ROLE: ROLE leaves out replicas still loading their first copy, which Sentinel may
  // yet promote.
  std::vector<std::string> info{"INFO", "replication"};
  auto reply = co_await redis_->command(std::move(info));
  if (!reply) co_return reply.error();
  size_t at = reply->str.find("connected_slaves:");
  if (reply->type != RedisReply::Type::kString || at == std::string::npos) {
    co_return unexpected_reply("INFO replication", *reply);
  }
  int connected = std::atoi(reply->str.c_str() + at + std::string_view("connected_slaves:").size());
  if (connected < durability_.replicas && connected != replicas_connected_) {
    spdlog::warn("Redis at {} has {} of the {} replicas allocations should reach: answering once all {} hold them",
                 redis_->endpoint().to_string(), connected, durability_.replicas, connected);
  }
  replicas_checked_ = now;
  replicas_connected_ = connected;
  co_return connected;
}

asio::awaitable<Status> RedisStore::replicated() {
  if (durability_.replicas == 0) co_return Ok{};
  auto connected = co_await connected_replicas();
  if (!connected) co_return connected.error();
  int wanted = std::min(durability_.replicas, *connected);
  if (wanted == 0) co_return Ok{};
  std::vector<std::string> wait{"WAIT", std::to_string(wanted), std::to_string(durability_.timeout.count())};
  auto reply = co_await redis_->command(std::move(wait));
  if (!reply) co_return reply.error();
  if (reply->type == RedisReply::Type::kInteger && reply->integer >= wanted) co_return Ok{};
  co_return unavailable("not_replicated",
                        "Redis at " + redis_->endpoint().to_string() + " has the allocation, but " +
                            (reply->type == RedisReply::Type::kInteger ? std::to_string(reply->integer) : reply->str) +
                            " of the " + std::to_string(wanted) + " replicas required hold it after " +
                            std::to_string(durability_.timeout.count()) + " ms: a failover could lose it; retry");
}

void RedisStore::pool_missing() {
  if (state_.ready.exchange(false)) state_.lost = true;
}

asio::awaitable<Result<PoolStats>> RedisStore::stats(const std::string& network) {
  for (int attempt = 0;; ++attempt) {
    lua::Stats::Args args{.network = network};
    auto reply = co_await stats_.run(*redis_, args);
    if (!reply) co_return reply.error();
    if (!reply->subnet.empty()) {
      co_return PoolStats{reply->total, reply->allocated, reply->available, reply->subnet, network};
    }
    if (network != proto::kDefaultNetwork) co_return no_network(network);
    if (attempt > 0) co_return unavailable("pool_missing", "Redis holds no pool");
    pool_missing();  // Redis lost its data, or nobody wrote the pool yet
    auto ready = co_await ensure_pool();
    if (!ready) co_return ready.error();
  }
}

asio::awaitable<Status> RedisStore::check_health() {
  auto stats = co_await this->stats(std::string(proto::kDefaultNetwork));
  if (!stats) co_return stats.error();
  if (stats->subnet == pool_.subnet().to_string()) co_return Ok{};
  state_.ready = false;  // another IPAM wrote another pool: say precisely how they differ
  co_return co_await ensure_pool();
}

asio::awaitable<Result<NetworkResult>> RedisStore::create_network(const proto::NetworkRequest& request) {
  auto subnet = Cidr::parse(request.subnet);
  if (!subnet) co_return subnet.error();
  auto pool = PoolSpec::make(*subnet, request.range_start, request.range_end, {});
  if (!pool) co_return pool.error();
  lua::CreateNetwork::Args args{.name = request.name,
                                .subnet = subnet->to_string(),
                                .net_first = subnet->network().value(),
                                .net_last = subnet->broadcast().value(),
                                .first = pool->first().value(),
                                .last = pool->last().value(),
                                .total = pool->size(),
                                .vni = request.vni.value_or(0),
                                .quarantine_ms = request.restore ? static_cast<uint64_t>(state_.quarantine.count()) : 0};
  Result<lua::CreateNetwork::Reply> reply = unavailable("pool_missing", "Redis holds no pool");
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (auto ready = co_await ensure_pool(); !ready) co_return ready.error();  // the default network first
    reply = co_await create_network_.run(*redis_, args);
    if (!reply) co_return reply.error();
    if (reply->outcome != "uninitialised") break;
    pool_missing();  // Redis lost it under this process
  }
  const std::string& outcome = reply->outcome;
  if (outcome == "uninitialised") co_return unavailable("pool_missing", "Redis holds no pool");
  if (outcome == "underlay_overlap") {
    co_return conflict("subnet_overlap", "subnet " + args.subnet + " holds " + reply->subnet +
                                             ", the underlay address of host '" + reply->other + "'");
  }
  if (outcome == "created" || outcome == "existing") {
    if (outcome == "created") {
      spdlog::info("{} network {}: {} ({} to {}), VNI {}", request.restore ? "restored" : "created", request.name,
                   args.subnet, pool->first().to_string(), pool->last().to_string(), reply->vni);
    }
    NetworkStatus status{request.name, args.subnet, static_cast<uint32_t>(reply->vni), pool->first().to_string(),
                         pool->last().to_string(), pool->size(), 0, pool->size()};
    auto current = co_await networks(request.name);  // the figures, when it existed already
    if (current && current->size() == 1) status = current->front();
    co_return NetworkResult{status, outcome == "created"};
  }
  if (outcome == "name_taken") {
    co_return conflict("network_exists", "network '" + request.name + "' exists with subnet " + reply->subnet +
                                             " and another range or VNI; remove it first (vxctl network rm)");
  }
  if (outcome == "vni_taken") {
    co_return conflict("vni_taken", "VNI " + std::to_string(args.vni) + " belongs to network '" + reply->other + "'");
  }
  if (outcome == "overlap") {
    co_return conflict("subnet_overlap", "subnet " + args.subnet + " overlaps " + reply->subnet + " of network '" +
                                             reply->other + "'");
  }
  if (outcome == "no_vni") co_return unavailable("no_vni", "every VNI from " +
                                                               std::to_string(proto::kFirstChosenVni) + " is taken");
  co_return create_network_.unexpected(outcome);
}

asio::awaitable<Status> RedisStore::delete_network(const std::string& name) {
  lua::DeleteNetwork::Args args{.name = name};
  auto reply = co_await delete_network_.run(*redis_, args);
  if (!reply) co_return reply.error();
  const std::string& outcome = reply->outcome;
  if (outcome == "deleted") {
    spdlog::info("deleted network {}, with the {} gateway reservations on it", name, reply->gateways);
    co_return Ok{};
  }
  if (outcome == "not_found") co_return no_network(name);
  if (outcome == "default") {
    co_return bad_input("default_network", "network '" + name + "' is the default network: it always exists");
  }
  if (outcome == "in_use") {
    co_return conflict("network_in_use", "network '" + name + "' is in use: container '" + reply->holder +
                                             "' holds an address on it; remove its containers first");
  }
  co_return delete_network_.unexpected(outcome);
}

asio::awaitable<Result<std::vector<NetworkStatus>>> RedisStore::networks(const std::string& name) {
  if (auto ready = co_await ensure_pool(); !ready) co_return ready.error();
  lua::ListNetworks::Args args{.name = name};
  auto reply = co_await list_networks_.run(*redis_, args);
  if (!reply) co_return reply.error();
  if (!name.empty() && reply->networks.empty()) co_return no_network(name);
  std::vector<NetworkStatus> out;
  out.reserve(reply->networks.size());
  for (const auto& network : reply->networks) {
    out.push_back({network.name, network.subnet, static_cast<uint32_t>(network.vni),
                   Ipv4(static_cast<uint32_t>(network.first)).to_string(),
                   Ipv4(static_cast<uint32_t>(network.last)).to_string(), network.total, network.allocated,
                   network.available});
  }
  co_return out;
}

}  // namespace vx::ipam
