#include "ipam/redis/host_registry.h"

#include <spdlog/spdlog.h>

namespace vx::ipam {

namespace asio = boost::asio;

namespace {

Error unknown_host(const std::string& host_id) {
  return not_found("unknown_host", "host '" + host_id + "' is not registered");
}

}  // namespace

RedisHostRegistry::RedisHostRegistry(std::shared_ptr<RedisConnection> redis, std::chrono::milliseconds ttl)
    : redis_(std::move(redis)),
      ttl_(ttl),
      register_(lua::kRegisterHost),
      heartbeat_(lua::kHeartbeat),
      leave_(lua::kLeaveHost),
      heartbeats_(lua::kHeartbeats) {}

asio::awaitable<Status> RedisHostRegistry::register_host(const HostRegistration& host,
                                                         const std::string& instance) {
  lua::RegisterHost::Args args{.id = host.host_id,
                               .underlay = host.underlay_ip,
                               .agent = host.agent_url,
                               .ttl = static_cast<uint64_t>(ttl_.count()),
                               .instance = instance};
  auto reply = co_await register_.run(*redis_, args);
  if (!reply) co_return reply.error();
  if (reply->outcome == "registered") {
    spdlog::info("host {} registered: underlay {}, agent {}", host.host_id, host.underlay_ip, host.agent_url);
    co_return Ok{};
  }
  if (reply->outcome == "underlay_taken") {
    co_return conflict("underlay_taken",
                       "underlay address " + host.underlay_ip + " belongs to live host '" + reply->holder + "'");
  }
  if (reply->outcome == "instance_taken") {
    co_return conflict("instance_taken",
                       "host '" + host.host_id + "' is registered by another agent that is alive: a second "
                       "vxlan-agent was started with its --host-id, on this machine or another; give this one "
                       "its own --host-id, or stop the other (its registration lapses " +
                           std::to_string(ttl_.count()) + " ms after its last heartbeat)");
  }
  co_return register_.unexpected(reply->outcome);
}

asio::awaitable<Status> RedisHostRegistry::heartbeat(const std::string& host_id, const std::string& instance) {
  lua::Heartbeat::Args args{.id = host_id, .instance = instance};
  auto reply = co_await heartbeat_.run(*redis_, args);
  if (!reply) co_return reply.error();
  if (reply->outcome == "alive") co_return Ok{};
  if (reply->outcome == "wrong_instance") co_return instance_mismatch(host_id);
  co_return unknown_host(host_id);
}

asio::awaitable<Status> RedisHostRegistry::leave(const std::string& host_id, const std::string& instance) {
  lua::LeaveHost::Args args{.id = host_id, .instance = instance};
  auto reply = co_await leave_.run(*redis_, args);
  if (!reply) co_return reply.error();
  if (reply->outcome == "wrong_instance") co_return instance_mismatch(host_id);
  if (reply->outcome != "left") co_return unknown_host(host_id);
  spdlog::info("host {} left", host_id);
  co_return Ok{};
}

asio::awaitable<Result<HeartbeatAges>> RedisHostRegistry::heartbeat_ages() {
  auto reply = co_await heartbeats_.run(*redis_);
  if (!reply) co_return reply.error();
  HeartbeatAges out;
  for (const auto& host : reply->hosts) out[host.id] = reply->now > host.last ? reply->now - host.last : 0;
  co_return out;
}

}  // namespace vx::ipam
