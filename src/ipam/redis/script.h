// A Lua script (scripts.h) run on a RedisConnection with EVALSHA, taking its Args and answering
// its Reply. The script is loaded on first use and loaded again when Redis answers NOSCRIPT (after
// a restart or a SCRIPT FLUSH). Transport failures and Redis's "cannot serve now" errors (LOADING,
// BUSY, NOAUTH, OOM, ...) come back as kUnavailable; any other error reply, and a reply not of the
// script's shape, as kInternal.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <concepts>
#include <string>
#include <vector>

#include "common/error.h"
#include "ipam/redis/connection.h"
#include "ipam/redis/scripts.h"

namespace vx::ipam {

// Reading an element of an array reply that is not a script's, such as HMGET's: its text, empty
// when absent.
const std::string& reply_text(const RedisReply& reply, size_t index);

Error unexpected_reply(const std::string& what, const std::string& answer);
Error unexpected_reply(const std::string& what, const RedisReply& reply);

// What runs a script of any signature, kept apart so that the template below holds no more than
// the encoding and decoding.
class ScriptRunner {
 public:
  explicit ScriptRunner(const lua::Code& code) : code_(code) {}

  boost::asio::awaitable<Result<RedisReply>> run(RedisConnection& redis, const std::vector<std::string>& args);

  const std::string& name() const { return code_.name; }

 private:
  lua::Code code_;
  std::string sha_;  // empty until loaded
};

template <class Signature>
class RedisScript {
 public:
  using Args = typename Signature::Args;
  using Reply = typename Signature::Reply;

  explicit RedisScript(const lua::Script<Signature>& script) : runner_(script) {}

  // `args` is a named variable, not a braced list: GCC 12 miscompiles braced lists inside a
  // co_await expression ("array used as initializer").
  boost::asio::awaitable<Result<Reply>> run(RedisConnection& redis, const Args& args) {
    const std::vector<std::string> argv = lua::encode(args);
    auto reply = co_await runner_.run(redis, argv);
    if (!reply) co_return reply.error();
    auto decoded = lua::decode<Reply>(*reply);
    if (!decoded) co_return unexpected_reply(runner_.name(), *reply);
    co_return std::move(*decoded);
  }

  boost::asio::awaitable<Result<Reply>> run(RedisConnection& redis)
    requires std::same_as<Args, lua::NoArgs>
  {
    static constexpr lua::NoArgs kNone{};
    return run(redis, kNone);
  }

  // For an outcome the script's Reply does not list.
  Error unexpected(const std::string& outcome) const { return unexpected_reply(runner_.name(), outcome); }

 private:
  ScriptRunner runner_;
};

}  // namespace vx::ipam
