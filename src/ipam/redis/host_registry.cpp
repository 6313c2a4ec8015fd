#include "ipam/redis/host_registry.h"

#include <spdlog/spdlog.h>

#include "ipam/redis/scripts.h"

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

asio::awaitable<Status> RedisHostRegistry::register_host(const HostRegistration& host) {
  std::vector<std::string> args{host.host_id, host.underlay_ip, host.agent_url, std::to_string(ttl_.count())};
  auto reply = co_await register_.run(*redis_, args);
  if (!reply) co_return reply.error();
  if (reply_text(*reply, 0) == "registered") {
    spdlog::info("host {} registered: underlay {}, agent {}", host.host_id, host.underlay_ip, host.agent_url);
    co_return Ok{};
  }
  if (reply_text(*reply, 0) == "underlay_taken") {
    co_return conflict("underlay_taken", "underlay address " + host.underlay_ip + " belongs to live host '" +
                                             reply_text(*reply, 1) + "'");
  }
  co_return unexpected_reply("register host", *reply);
}

asio::awaitable<Status> RedisHostRegistry::heartbeat(const std::string& host_id) {
  std::vector<std::string> args{host_id};
  auto reply = co_await heartbeat_.run(*redis_, args);
  if (!reply) co_return reply.error();
  if (reply_text(*reply, 0) == "alive") co_return Ok{};
  co_return unknown_host(host_id);
}

asio::awaitable<Status> RedisHostRegistry::leave(const std::string& host_id) {
  std::vector<std::string> args{host_id};
  auto reply = co_await leave_.run(*redis_, args);
  if (!reply) co_return reply.error();
  if (reply_text(*reply, 0) != "left") co_return unknown_host(host_id);
  spdlog::info("host {} left", host_id);
  co_return Ok{};
}

asio::awaitable<Result<HeartbeatAges>> RedisHostRegistry::heartbeat_ages() {
  auto reply = co_await heartbeats_.run(*redis_, kNoScriptArgs);
  if (!reply) co_return reply.error();
  uint64_t now = reply_number(*reply, 0);
  HeartbeatAges out;
  for (size_t i = 1; i + 1 < reply->elements.size(); i += 2) {
    uint64_t last = reply_number(*reply, i + 1);
    out[reply_text(*reply, i)] = now > last ? now - last : 0;
  }
  co_return out;
}

}  // namespace vx::ipam
