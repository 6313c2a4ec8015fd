#include "ipam/redis/url.h"

#include <boost/url/parse.hpp>
#include <charconv>

#include "common/split.h"

namespace vx::ipam {

namespace {

constexpr const char* kForms =
    "expected redis://[:PASSWORD@]HOST[:PORT][/DB] or sentinel://[:PASSWORD@]HOST[:PORT][,HOST[:PORT]...]/MASTER[/DB]";

Error invalid(const std::string& why) {
  return bad_input("invalid_redis_url", "the Redis URL is invalid (" + why + "); " + kForms);
}

Result<int> parse_db(std::string_view text) {
  int db = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), db);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || db < 0) {
    return invalid("the database must be a number");
  }
  return db;
}

Result<RedisEndpoint> parse_plain(std::string_view text) {
  auto url = boost::urls::parse_absolute_uri(text);
  if (!url) return invalid("not a URL");
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
    auto db = parse_db(std::string_view(path).substr(1));
    if (!db) return db.error();
    endpoint.db = *db;
  }
  return endpoint;
}

// The authority lists several hosts, which no URL parser takes: each HOST[:PORT] is read as the
// authority of a redis:// URL of its own.
Result<RedisEndpoint> parse_sentinel(std::string_view rest) {
  RedisEndpoint endpoint;
  endpoint.sentinel = std::make_shared<SentinelSet>();
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return invalid("no master name");
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = rest.substr(slash + 1);
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    auto credentials = parse_plain("redis://" + std::string(authority.substr(0, at + 1)) + "h");
    if (!credentials) return credentials.error();
    endpoint.password = credentials->password;
    authority = authority.substr(at + 1);
  }
  for (std::string_view one : split(authority, ',')) {
    if (one.empty() || one.find_first_of("/?#@") != std::string_view::npos) return invalid("a Sentinel has no host");
    auto sentinel = parse_plain("redis://" + std::string(one));
    if (!sentinel) return sentinel.error();
    bool has_port = one.find(':') != std::string_view::npos;
    endpoint.sentinel->sentinels.push_back({sentinel->host, has_port ? sentinel->port : kSentinelPort});
  }
  size_t db_slash = path.find('/');
  std::string_view master = path.substr(0, db_slash);
  if (master.empty()) return invalid("no master name");
  if (master.find_first_of("?#") != std::string_view::npos) return invalid("the master name holds '?' or '#'");
  endpoint.sentinel->master_name = std::string(master);
  if (db_slash != std::string_view::npos) {
    auto db = parse_db(path.substr(db_slash + 1));
    if (!db) return db.error();
    endpoint.db = *db;
  }
  endpoint.host.clear();
  endpoint.port = 0;
  return endpoint;
}

}  // namespace

std::string RedisEndpoint::to_string() const {
  std::string where = host.empty() ? "not yet resolved" : host + ":" + std::to_string(port) + "/" + std::to_string(db);
  if (!sentinel) return where;
  std::string sentinels;
  for (const auto& one : sentinel->sentinels) sentinels += (sentinels.empty() ? "" : ",") + one.to_string();
  return "master " + sentinel->master_name + " (" + where + ") of the Sentinels at " + sentinels;
}

Result<RedisEndpoint> parse_redis_url(std::string_view text) {
  if (text.starts_with("redis://")) return parse_plain(text);
  if (text.starts_with("sentinel://")) return parse_sentinel(text.substr(std::string_view("sentinel://").size()));
  return invalid("the scheme must be redis or sentinel");
}

}  // namespace vx::ipam
