#include "ipam/redis/script.h"

#include <spdlog/spdlog.h>

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

asio::awaitable<Result<RedisReply>> ScriptRunner::run(RedisConnection& redis, const std::vector<std::string>& args) {
  for (int attempt = 0;; ++attempt) {
    if (sha_.empty()) {
      std::vector<std::string> load{"SCRIPT", "LOAD", code_.source};
      auto loaded = co_await redis.command(std::move(load));
      if (!loaded) co_return loaded.error();
      if (loaded->type != RedisReply::Type::kString) co_return unexpected_reply("SCRIPT LOAD", *loaded);
      sha_ = loaded->str;
      // Operators and the benchmark find the script in Redis by this SHA (EVALSHA, SCRIPT EXISTS).
      spdlog::info("Lua script '{}' loaded into Redis at {} as {}", code_.name, redis.endpoint().to_string(), sha_);
    }
    std::vector<std::string> argv{"EVALSHA", sha_, std::to_string(code_.keys.size())};
    argv.insert(argv.end(), code_.keys.begin(), code_.keys.end());
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

Error unexpected_reply(const std::string& what, const std::string& answer) {
  return internal("unexpected_reply", "unexpected answer from Redis to " + what + ": '" + answer + "'");
}

Error unexpected_reply(const std::string& what, const RedisReply& reply) {
  return unexpected_reply(what, reply.str.empty() ? reply_text(reply, 0) : reply.str);
}

}  // namespace vx::ipam
