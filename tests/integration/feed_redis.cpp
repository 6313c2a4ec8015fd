// The Redis helpers of feed_redis.h.
#include "feed_redis.h"

#include <map>
#include <sstream>

namespace vx::test {
namespace {

bool is_aof(const std::filesystem::path& path) { return path.filename().string().rfind("appendonly", 0) == 0; }

}  // namespace

View view_in_redis(RedisClient& redis) {
  View out;
  auto pairs = [&](const std::string& key) {
    std::map<std::string, std::string> map;
    auto flat = redis.list({"HGETALL", key});
    for (size_t i = 0; i + 1 < flat.size(); i += 2) map[flat[i]] = flat[i + 1];
    return map;
  };
  auto ips = pairs("container_ips"), hosts = pairs("container_hosts"), macs = pairs("vxlan:container_macs");
  for (const auto& [name, ip] : ips) {
    json::object endpoint{{"container_name", name}, {"ip_address", ip}, {"host_id", hosts[name]}};
    if (macs.count(name)) endpoint["mac_address"] = macs[name];
    out.endpoints[name] = canonical(endpoint);
  }
  auto agents = pairs("vxlan:host_agents");
  for (const auto& [id, underlay] : pairs("vxlan:host_underlay")) {
    out.hosts[id] = canonical(json::object{{"host_id", id}, {"underlay_ip", underlay}, {"agent_url", agents[id]},
                                           {"alive", true}});
  }
  return out;
}

std::optional<std::filesystem::path> data_dir(const RedisServer& redis) {
  auto reply = redis.client().list({"CONFIG", "GET", "dir"});
  if (reply.size() != 2u) return std::nullopt;
  return std::filesystem::path(reply[1]);
}

void back_up_aof(const std::filesystem::path& dir, const std::filesystem::path& backup) {
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (is_aof(entry.path())) {
      std::filesystem::copy(entry.path(), backup / entry.path().filename(), std::filesystem::copy_options::recursive);
    }
  }
}

void restore_aof(const std::filesystem::path& dir, const std::filesystem::path& backup) {
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (is_aof(entry.path())) std::filesystem::remove_all(entry.path());
  }
  for (const auto& entry : std::filesystem::directory_iterator(backup)) {
    std::filesystem::copy(entry.path(), dir / entry.path().filename(), std::filesystem::copy_options::recursive);
  }
}

std::string feed_log(IpamDaemon& ipam) {
  std::istringstream in(ipam.process().log());
  std::string line, out;
  for (int n = 0; std::getline(in, line) && n < 400;) {
    for (const char* word : {"lifetime", "loaded", "change log", "loading again", "Redis"}) {
      if (line.find(word) != std::string::npos) {
        out += "    " + line.substr(0, 300) + "\n";
        ++n;
        break;
      }
    }
  }
  return out;
}

}  // namespace vx::test
