// The HostRegistry on Redis, one Lua script per operation (scripts.h).
#pragma once

#include <chrono>
#include <memory>

#include "ipam/host_registry.h"
#include "ipam/redis/script.h"

namespace vx::ipam {

class RedisHostRegistry : public HostRegistry {
 public:
  RedisHostRegistry(std::shared_ptr<RedisConnection> redis, std::chrono::milliseconds ttl);

  boost::asio::awaitable<Status> register_host(const HostRegistration& host, const std::string& instance) override;
  boost::asio::awaitable<Status> heartbeat(const std::string& host_id, const std::string& instance) override;
  boost::asio::awaitable<Status> leave(const std::string& host_id, const std::string& instance) override;
  boost::asio::awaitable<Result<HeartbeatAges>> heartbeat_ages() override;
  std::chrono::milliseconds ttl() const override { return ttl_; }

 private:
  std::shared_ptr<RedisConnection> redis_;
  std::chrono::milliseconds ttl_;
  RedisScript<lua::RegisterHost> register_;
  RedisScript<lua::Heartbeat> heartbeat_;
  RedisScript<lua::LeaveHost> leave_;
  RedisScript<lua::Heartbeats> heartbeats_;
};

}  // namespace vx::ipam
