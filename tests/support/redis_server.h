// A real redis-server for a test: its own port on 127.0.0.1, its own directory, AOF on, and a
// blocking client to inspect what the IPAM wrote (the registry's invariants, for one).
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "support/process.h"

struct redisContext;

namespace vx::test {

class RedisClient {
 public:
  explicit RedisClient(uint16_t port);
  ~RedisClient();
  bool connected() const { return context_ != nullptr; }
  // The reply as a string (or an integer in decimal); std::nullopt for nil or no connection.
  std::optional<std::string> get(const std::vector<std::string>& argv);
  std::vector<std::string> list(const std::vector<std::string>& argv);
  long long integer(const std::vector<std::string>& argv);

 private:
  redisContext* context_ = nullptr;
};

class RedisServer {
 public:
  explicit RedisServer(std::string appendfsync = "everysec");
  ~RedisServer();

  uint16_t port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  void start();  // and wait until it answers PING
  void stop();   // SIGTERM: Redis rewrites nothing, the AOF is already on disk
  void kill9();
  // SIGSTOP / SIGCONT: Redis stalls with its connections open, as a hung server does.
  void pause();
  void resume();
  RedisClient client() const { return RedisClient(port_); }

 private:
  TempDir dir_;
  uint16_t port_;
  std::string appendfsync_;
  std::unique_ptr<Process> process_;
};

// Every invariant of the registry, or the first one broken, in words.
std::optional<std::string> check_registry_invariants(RedisClient& redis,
                                                     const std::set<std::string>& pool);

// Every address from `first` to `last`, dotted.
std::set<std::string> address_range(const std::string& first, const std::string& last);

}  // namespace vx::test
