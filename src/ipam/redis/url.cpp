#include "ipam/redis/url.h"

#include <boost/url/parse.hpp>
#include <charconv>

namespace vx::ipam {

std::string RedisEndpoint::to_string() const {
  return host + ":" + std::to_string(port) + "/" + std::to_string(db);
}

Result<RedisEndpoint> parse_redis_url(std::string_view text) {
  auto invalid = [&](const std::string& why) {
    return bad_input("invalid_redis_url",
                     "the Redis URL is invalid (" + why + "); expected redis://[:PASSWORD@]HOST[:PORT][/DB]");
  };
  auto url = boost::urls::parse_absolute_uri(text);
  if (!url) return invalid("not a URL");
  if (url->scheme() != "redis") return invalid("the scheme must be redis");
  if (url->host().empty()) return invalid("no host");
  RedisEndpoint endpoint;
  endpoint.host = url->host();
  if (url->has_port()) {
    if (url->port_number() == 0) return invalid("bad port");
    endpoint.port = url->port_number();
  }
  if (url->has_password()) endpoint.password = url->password();
  std::string path = url->path();
  if (!path.empty() && path != "/") {
    std::string_view db = std::string_view(path).substr(1);
    auto [end, ec] = std::from_chars(db.data(), db.data() + db.size(), endpoint.db);
    if (ec != std::errc() || end != db.data() + db.size() || endpoint.db < 0) {
      return invalid("the database must be a number");
    }
  }
  return endpoint;
}

}  // namespace vx::ipam
