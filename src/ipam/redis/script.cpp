#include "ipam/redis/script.h"

#include <charconv>

namespace vx::ipam {

namespace asio = boost::asio;

namespace {

bool is_transient(const std::string& message) {
  for (const char* prefix : {"LOADING", "BUSY", "NOAUTH", "WRONGPASS", "READONLY", "OOM", "MASTERDOWN",
                             "TRYAGAIN", "CLUSTERDOWN"}) {
    if (message.starts_with(prefix)) return true;
  }
  return false;
}

}  // namespace

asio::awaitable<Result<RedisReply>> RedisScript::run(RedisConnection& redis,
                                                     const std::vector<std::string>& args) {
  for (int attempt = 0;; ++attempt) {
    if (sha_.empty()) {
      std::vector<std::string> load{"SCRIPT", "LOAD", source_};
      auto loaded = co_await redis.command(std::move(load));
      if (!loaded) co_return loaded.error();
      if (loaded->type != RedisReply::Type::kString) co_return unexpected_reply("SCRIPT LOAD", *loaded);
      sha_ = loaded->str;
    }
    std::vector<std::string> argv{"EVALSHA", sha_, std::to_string(keys_.size())};
    argv.insert(argv.end(), keys_.begin(), keys_.end());
    argv.insert(argv.end(), args.begin(), args.end());
    auto reply = co_await redis.command(std::move(argv));
    if (!reply) co_return reply.error();
    if (!reply->is_error()) co_return reply;
    if (reply->str.starts_with("NOSCRIPT") && attempt == 0) {
      sha_.clear();
      continue;
    }
    std::string where = "Redis at " + redis.endpoint().to_string();
    if (is_transient(reply->str)) co_return unavailable("redis_unavailable", where + " answered: " + reply->str);
    co_return internal("redis_error", where + " rejected a script: " + reply->str);
  }
}

const std::string& reply_text(const RedisReply& reply, size_t index) {
  static const std::string kNone;
  return index < reply.elements.size() ? reply.elements[index].str : kNone;
}

uint64_t text_number(std::string_view text) {
  uint64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

uint64_t reply_number(const RedisReply& reply, size_t index) {
  if (index >= reply.elements.size()) return 0;
  const RedisReply& element = reply.elements[index];
  if (element.type == RedisReply::Type::kInteger) return static_cast<uint64_t>(element.integer);
  return text_number(element.str);
}

Error unexpected_reply(const std::string& what, const RedisReply& reply) {
  return internal("unexpected_reply", "unexpected answer from Redis to " + what + ": '" +
                                          (reply.str.empty() ? reply_text(reply, 0) : reply.str) + "'");
}

}  // namespace vx::ipam
