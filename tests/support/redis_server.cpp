#include "support/redis_server.h"

#include <hiredis/hiredis.h>

#include <signal.h>

#include <fstream>
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

RedisServer::RedisServer(std::string appendfsync, std::vector<std::string> extra)
    : port_(free_port()), appendfsync_(std::move(appendfsync)), extra_(std::move(extra)) {
  start();
}

RedisServer::~RedisServer() { stop(); }

void RedisServer::start() {
  std::vector<std::string> argv{"redis-server", "--port", std::to_string(port_), "--bind", "127.0.0.1",
                                "--dir", dir_.path(), "--appendonly", "yes", "--appendfsync",
                                appendfsync_, "--save", "", "--daemonize", "no"};
  argv.insert(argv.end(), extra_.begin(), extra_.end());
  process_ = std::make_unique<Process>(std::move(argv), dir_.path() + "/redis.log");
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

SentinelCluster::SentinelCluster() {
  master_ = std::make_unique<RedisServer>();
  replica_ = std::make_unique<RedisServer>(
      "everysec", std::vector<std::string>{"--replicaof", "127.0.0.1", std::to_string(master_->port())});
  for (int i = 0; i < 3; ++i) {
    uint16_t port = free_port();
    ports_.push_back(port);
    std::string conf = dir_.path() + "/sentinel" + std::to_string(i) + ".conf";
    std::ofstream(conf) << "port " << port << "\nbind 127.0.0.1\ndir " << dir_.path() << "\n"
                        << "sentinel monitor " << kMaster << " 127.0.0.1 " << master_->port() << " 2\n"
                        << "sentinel down-after-milliseconds " << kMaster << " 1000\n"
                        << "sentinel failover-timeout " << kMaster << " 5000\n";
    sentinels_.push_back(std::make_unique<Process>(std::vector<std::string>{"redis-server", conf, "--sentinel"},
                                                   dir_.path() + "/sentinel" + std::to_string(i) + ".log"));
  }
  bool ready = wait_until(
      [&] {
        for (uint16_t port : ports_) {
          RedisClient sentinel(port);
          if (sentinel.list({"SENTINEL", "replicas", kMaster}).empty()) return false;
          auto replication = master_->client().get({"INFO", "replication"});
          if (!replication || replication->find("state=online") == std::string::npos) return false;
          if (sentinel.list({"SENTINEL", "sentinels", kMaster}).size() < 2) return false;
        }
        return true;
      },
      std::chrono::seconds(30));
  if (!ready) throw std::runtime_error("the Sentinels did not find the replica and each other: " + sentinels_[0]->log());
}

SentinelCluster::~SentinelCluster() {
  for (auto& sentinel : sentinels_) sentinel->stop();
}

std::string SentinelCluster::url() const {
  std::string out = "sentinel://";
  for (size_t i = 0; i < ports_.size(); ++i) out += (i ? ",127.0.0.1:" : "127.0.0.1:") + std::to_string(ports_[i]);
  return out + "/" + kMaster;
}

uint16_t SentinelCluster::master_port() const {
  for (uint16_t port : ports_) {
    auto address = RedisClient(port).list({"SENTINEL", "get-master-addr-by-name", kMaster});
    if (address.size() == 2) return static_cast<uint16_t>(std::stoi(address[1]));
  }
  return 0;
}

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
