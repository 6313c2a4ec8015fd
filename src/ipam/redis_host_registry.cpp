#include "ipam/redis_host_registry.h"

#include <spdlog/spdlog.h>

#include "common/names.h"
#include "ipam/keys.h"
#include "ipam/lua_scripts.h"

namespace vx {

namespace asio = boost::asio;

namespace {

Error unknown_host(const std::string& host_id) {
  return not_found("unknown_host", "host '" + host_id + "' is not registered");
}

}  // namespace

RedisHostRegistry::RedisHostRegistry(std::shared_ptr<RedisConnection> redis, std::chrono::milliseconds ttl)
    : redis_(std::move(redis)),
      ttl_(ttl),
      register_(lua::kRegisterHost, {keys::kHosts, keys::kHostUnderlay, keys::kHostAgents}),
      heartbeat_(lua::kHeartbeat, {keys::kHosts}),
      leave_(lua::kLeaveHost, {keys::kHosts, keys::kHostUnderlay, keys::kHostAgents}),
      list_(lua::kListHosts, {keys::kHosts, keys::kHostUnderlay, keys::kHostAgents, keys::kContainerHosts}),
      peers_(lua::kPeers, {keys::kHosts, keys::kHostUnderlay, keys::kContainerIps, keys::kContainerHosts,
                           keys::kContainerMacs}) {}

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

asio::awaitable<Result<std::vector<HostRecord>>> RedisHostRegistry::hosts() {
  const std::vector<std::string> args{std::string(kGatewayNamePrefix)};
  auto reply = co_await list_.run(*redis_, args);
  if (!reply) co_return reply.error();
  uint64_t now = reply_number(*reply, 0);
  std::vector<HostRecord> out;
  for (size_t i = 1; i + 4 < reply->elements.size(); i += 5) {
    uint64_t last = reply_number(*reply, i + 3);
    uint64_t age = now > last ? now - last : 0;
    out.push_back({{reply_text(*reply, i), reply_text(*reply, i + 1), reply_text(*reply, i + 2)},
                   age,
                   age < static_cast<uint64_t>(ttl_.count()),
                   reply_number(*reply, i + 4)});
  }
  co_return out;
}

asio::awaitable<Result<PeerView>> RedisHostRegistry::peers() {
  std::vector<std::string> args{std::to_string(ttl_.count())};
  auto reply = co_await peers_.run(*redis_, args);
  if (!reply) co_return reply.error();
  size_t hosts = reply_number(*reply, 0);
  PeerView view;
  size_t i = 1;
  for (; i < 1 + 3 * hosts && i + 2 < reply->elements.size(); i += 3) {
    view.hosts.push_back({reply_text(*reply, i), reply_text(*reply, i + 1), reply_text(*reply, i + 2) == "1"});
  }
  for (; i + 3 < reply->elements.size(); i += 4) {
    view.endpoints.push_back({reply_text(*reply, i), reply_text(*reply, i + 1), reply_text(*reply, i + 2),
                              reply_text(*reply, i + 3)});
  }
  co_return view;
}

}  // namespace vx
