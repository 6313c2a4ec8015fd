// A Lua script bound to the keys it touches, run on a RedisConnection with EVALSHA. The script is
// loaded on first use and loaded again when Redis answers NOSCRIPT (after a restart or a SCRIPT
// FLUSH). Transport failures and Redis's "cannot serve now" errors (LOADING, BUSY, NOAUTH, OOM,
// ...) come back as kUnavailable; any other error reply as kInternal.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "ipam/redis/connection.h"
#include "ipam/redis/scripts.h"

namespace vx::ipam {

// The arguments of a script that takes none.
inline const std::vector<std::string> kNoScriptArgs;

class RedisScript {
 public:
  explicit RedisScript(const lua::Script& script) : source_(script.source), keys_(script.keys) {}

  // Arguments are built in a named variable before co_await: GCC 12 miscompiles braced lists
  // inside a co_await expression ("array used as initializer").
  boost::asio::awaitable<Result<RedisReply>> run(RedisConnection& redis,
                                                 const std::vector<std::string>& args);

 private:
  std::string source_;
  std::vector<std::string> keys_;
  std::string sha_;  // empty until loaded
};

// A Redis string holding a whole number, such as a revision; 0 when it holds none (nil).
uint64_t text_number(std::string_view text);

// Reading the flat array replies the scripts give: element `index` as text (empty when absent) or
// as a number (0 when absent or not a number).
const std::string& reply_text(const RedisReply& reply, size_t index);
uint64_t reply_number(const RedisReply& reply, size_t index);

Error unexpected_reply(const std::string& what, const RedisReply& reply);

}  // namespace vx::ipam
