// Where Redis is: redis://[:PASSWORD@]HOST[:PORT][/DB], the form redis-cli and most clients take.
#pragma once

#include <string>
#include <string_view>

#include "common/error.h"

namespace vx::ipam {

struct RedisEndpoint {
  std::string host = "127.0.0.1";
  uint16_t port = 6379;
  std::string password;  // empty: no AUTH
  int db = 0;

  // host:port/db, never the password: safe to log.
  std::string to_string() const;
};

Result<RedisEndpoint> parse_redis_url(std::string_view url);

}  // namespace vx::ipam
