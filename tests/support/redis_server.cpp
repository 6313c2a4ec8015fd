#include "support/redis_server.h"

#include <hiredis/hiredis.h>

#include <signal.h>

#include <stdexcept>

#include "common/ipv4.h"

namespace vx::test {

RedisClient::RedisClient(uint16_t port) {
  timeval timeout{2, 0};
  context_ = redisConnectWithTimeout("127.0.0.1", port, timeout);
  if (context_ != nullptr && context_->err) {
    redisFree(context_);
    context_ = nullptr;
  }
  if (context_ != nullptr) redisSetTimeout(context_, timeout);
}

RedisClient::~RedisClient() {
  if (context_ != nullptr) redisFree(context_);
}

namespace {

redisReply* command(redisContext* context, const std::vector<std::string>& argv) {
  if (context == nullptr) return nullptr;
  std::vector<const char*> args;
  std::vector<size_t> lengths;
  for (const auto& arg : argv) {
    args.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  return static_cast<redisReply*>(
      redisCommandArgv(context, static_cast<int>(args.size()), args.data(), lengths.data()));
}

}  // namespace

std::optional<std::string> RedisClient::get(const std::vector<std::string>& argv) {
  redisReply* reply = command(context_, argv);
  if (reply == nullptr) return std::nullopt;
  std::optional<std::string> out;
  if (reply->type == REDIS_REPLY_INTEGER) out = std::to_string(reply->integer);
  if (reply->type == REDIS_REPLY_STRING || reply->type == REDIS_REPLY_STATUS ||
      reply->type == REDIS_REPLY_ERROR) {
    out = std::string(reply->str, reply->len);
  }
  freeReplyObject(reply);
  return out;
}

std::vector<std::string> RedisClient::list(const std::vector<std::string>& argv) {
  redisReply* reply = command(context_, argv);
  std::vector<std::string> out;
  if (reply == nullptr) return out;
  if (reply->type == REDIS_REPLY_ARRAY) {
    for (size_t i = 0; i < reply->elements; ++i) {
      out.emplace_back(reply->element[i]->str ? reply->element[i]->str : "", reply->element[i]->len);
    }
  }
  freeReplyObject(reply);
  return out;
}

long long RedisClient::integer(const std::vector<std::string>& argv) {
  auto value = get(argv);
  return value ? std::stoll(*value) : -1;
}

RedisServer::RedisServer(std::string appendfsync) : port_(free_port()), appendfsync_(std::move(appendfsync)) {
  start();
}

RedisServer::~RedisServer() { stop(); }

void RedisServer::start() {
  process_ = std::make_unique<Process>(
      std::vector<std::string>{"redis-server", "--port", std::to_string(port_), "--bind", "127.0.0.1",
                               "--dir", dir_.path(), "--appendonly", "yes", "--appendfsync",
                               appendfsync_, "--save", "", "--daemonize", "no"},
      dir_.path() + "/redis.log");
  bool up = wait_until([&] { return RedisClient(port_).get({"PING"}) == "PONG"; },
                       std::chrono::seconds(10));
  if (!up) throw std::runtime_error("redis-server did not start: " + process_->log());
}

void RedisServer::stop() {
  if (process_) process_->stop();
  process_.reset();
}

void RedisServer::kill9() {
  if (process_) process_->kill9();
  process_.reset();
}

void RedisServer::pause() { ::kill(process_->pid(), SIGSTOP); }

void RedisServer::resume() { ::kill(process_->pid(), SIGCONT); }

std::optional<std::string> check_registry_invariants(RedisClient& redis,
                                                     const std::set<std::string>& pool) {
  auto available_list = redis.list({"SMEMBERS", "available_ips"});
  auto allocated_list = redis.list({"SMEMBERS", "allocated_ips"});
  std::set<std::string> available(available_list.begin(), available_list.end());
  std::set<std::string> allocated(allocated_list.begin(), allocated_list.end());
  std::set<std::string> all = available;
  for (const auto& ip : allocated) {
    if (!all.insert(ip).second) return "address " + ip + " is both available and allocated";
  }
  if (all != pool) {
    return "available + allocated hold " + std::to_string(all.size()) + " addresses, the pool " +
           std::to_string(pool.size());
  }
  auto names = redis.list({"HGETALL", "container_ips"});
  if (names.size() / 2 != allocated.size()) {
    return std::to_string(names.size() / 2) + " names for " + std::to_string(allocated.size()) +
           " allocated addresses";
  }
  for (size_t i = 0; i + 1 < names.size(); i += 2) {
    const std::string& name = names[i];
    const std::string& ip = names[i + 1];
    if (!allocated.count(ip)) return "name " + name + " holds " + ip + ", which is not allocated";
    if (redis.get({"HGET", "ip_containers", ip}) != name) return ip + " does not point back to " + name;
    if (!redis.get({"HGET", "container_hosts", name})) return "name " + name + " has no host";
  }
  if (redis.integer({"HLEN", "ip_containers"}) != static_cast<long long>(allocated.size())) {
    return "ip_containers has entries for unallocated addresses";
  }
  if (redis.integer({"HLEN", "container_hosts"}) != static_cast<long long>(allocated.size())) {
    return "container_hosts has entries for unallocated names";
  }
  return std::nullopt;
}

std::set<std::string> address_range(const std::string& first, const std::string& last) {
  std::set<std::string> out;
  auto from = Ipv4::parse(first), to = Ipv4::parse(last);
  for (uint32_t n = from->value(); n <= to->value(); ++n) out.insert(Ipv4(n).to_string());
  return out;
}

}  // namespace vx::test
