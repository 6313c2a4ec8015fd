#include "ipam/redis/sentinel.h"

#include <hiredis/hiredis.h>
#include <poll.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <memory>
#include <string_view>
#include <vector>

namespace vx::ipam {

namespace {

using Context = std::unique_ptr<redisContext, decltype(&redisFree)>;
using Reply = std::unique_ptr<redisReply, decltype(&freeReplyObject)>;

timeval to_timeval(std::chrono::milliseconds timeout) {
  return {static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
}

Result<Context> connect(const RedisAddress& address, std::chrono::milliseconds timeout) {
  timeval limit = to_timeval(timeout);
  Context context(redisConnectWithTimeout(address.host.c_str(), address.port, limit), redisFree);
  if (!context) return unavailable("redis_unavailable", address.to_string() + ": out of memory");
  if (context->err) return unavailable("redis_unavailable", address.to_string() + ": " + context->errstr);
  redisSetTimeout(context.get(), limit);
  return context;
}

Result<Reply> ask(redisContext* context, const std::vector<std::string>& argv) {
  std::vector<const char*> args;
  std::vector<size_t> lengths;
  for (const auto& arg : argv) {
    args.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  Reply reply(static_cast<redisReply*>(redisCommandArgv(context, static_cast<int>(args.size()), args.data(),
                                                        lengths.data())),
              freeReplyObject);
  if (!reply) return unavailable("redis_unavailable", context->errstr[0] ? context->errstr : "no answer");
  if (reply->type == REDIS_REPLY_ERROR) return unavailable("redis_unavailable", std::string(reply->str, reply->len));
  return reply;
}

std::string text(const redisReply* reply) {
  return reply && (reply->type == REDIS_REPLY_STRING || reply->type == REDIS_REPLY_STATUS)
             ? std::string(reply->str, reply->len)
             : std::string();
}

// What one Sentinel says, checked against the server it names.
Result<RedisAddress> ask_sentinel(const RedisEndpoint& endpoint, const RedisAddress& sentinel,
                                  std::chrono::milliseconds timeout) {
  auto context = connect(sentinel, timeout);
  if (!context) return context.error();
  auto reply = ask(context->get(), {"SENTINEL", "get-master-addr-by-name", endpoint.sentinel->master_name});
  if (!reply) return reply.error();
  if ((*reply)->type != REDIS_REPLY_ARRAY || (*reply)->elements != 2) {
    return unavailable("redis_unavailable", "knows no master named '" + endpoint.sentinel->master_name + "'");
  }
  RedisAddress master{text((*reply)->element[0]), 0};
  std::string port = text((*reply)->element[1]);
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), master.port);
  if (master.host.empty() || ec != std::errc() || end != port.data() + port.size() || master.port == 0) {
    return unavailable("redis_unavailable", "answered a master address that is no address");
  }
  auto server = connect(master, timeout);
  if (!server) return unavailable("redis_unavailable", "named the master " + server.error().detail);
  if (!endpoint.password.empty()) {
    if (auto auth = ask(server->get(), {"AUTH", endpoint.password}); !auth) return auth.error();
  }
  auto role = ask(server->get(), {"ROLE"});
  if (!role) return role.error();
  std::string said = (*role)->type == REDIS_REPLY_ARRAY && (*role)->elements > 0 ? text((*role)->element[0]) : "";
  if (said != "master") {
    return unavailable("redis_unavailable", "named " + master.to_string() + ", which says it is a " +
                                                (said.empty() ? "?" : said) + " (a failover in progress)");
  }
  return master;
}

}  // namespace

Result<RedisAddress> resolve_master(const RedisEndpoint& endpoint, std::chrono::milliseconds timeout) {
  std::string answers;
  for (const auto& sentinel : endpoint.sentinel->sentinels) {
    auto master = ask_sentinel(endpoint, sentinel, timeout);
    if (master) return master;
    answers += (answers.empty() ? "" : "; ") + sentinel.to_string() + " " + master.error().detail;
  }
  return unavailable("redis_unavailable", "no Sentinel named a master '" + endpoint.sentinel->master_name +
                                              "' that confirms it: " + answers);
}

SentinelWatch::SentinelWatch(RedisEndpoint endpoint, std::chrono::milliseconds timeout)
    : endpoint_(std::move(endpoint)), timeout_(timeout), thread_([this] { run(); }) {}

SentinelWatch::~SentinelWatch() {
  stopping_ = true;
  thread_.join();
}

void SentinelWatch::run() {
  while (!stopping_) {
    for (const auto& sentinel : endpoint_.sentinel->sentinels) {
      if (stopping_) return;
      follow(sentinel);
    }
    std::this_thread::sleep_for(timeout_);  // every Sentinel refused: do not spin
  }
}

void SentinelWatch::follow(const RedisAddress& sentinel) {
  auto context = connect(sentinel, timeout_);
  if (!context) return;
  if (auto subscribed = ask(context->get(), {"SUBSCRIBE", "+switch-master"}); !subscribed) return;
  spdlog::info("following master switches on the Sentinel at {}", sentinel.to_string());
  while (!stopping_) {
    // Waits in poll, so that the watch notices stopping within a second; a reply is read only
    // once its first bytes have come.
    pollfd ready{(*context)->fd, POLLIN, 0};
    int polled = poll(&ready, 1, 1000);
    if (polled < 0) return;
    if (polled == 0) continue;
    void* raw = nullptr;
    if (redisGetReply(context->get(), &raw) != REDIS_OK) {
      spdlog::warn("lost the Sentinel at {}: {}", sentinel.to_string(), (*context)->errstr);
      return;
    }
    Reply message(static_cast<redisReply*>(raw), freeReplyObject);
    // ["message", "+switch-master", "NAME OLD_IP OLD_PORT NEW_IP NEW_PORT"]
    if (message->type != REDIS_REPLY_ARRAY || message->elements != 3) continue;
    std::string body = text(message->element[2]);
    if (!body.starts_with(endpoint_.sentinel->master_name + " ")) continue;
    spdlog::warn("the Sentinels switched master {}: {}", endpoint_.sentinel->master_name, body);
    ++endpoint_.sentinel->switches;
  }
}

}  // namespace vx::ipam
