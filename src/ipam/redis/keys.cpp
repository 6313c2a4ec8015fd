#include "ipam/redis/keys.h"

#include "proto/names.h"

namespace vx::ipam::keys {

namespace {

constexpr std::string_view kNetworkPrefix = "vxlan:net:";

}  // namespace

NetworkKeys network_keys(std::string_view network) {
  if (network == proto::kDefaultNetwork) return {kPool, kPoolReserved, kAvailable, kAllocated};
  std::string prefix = std::string(kNetworkPrefix) + std::string(network) + ":";
  return {prefix + "pool", prefix + "reserved", prefix + "available", prefix + "allocated"};
}

const std::string& lua_network_keys() {
  static const std::string source = [] {
    auto quoted = [](std::string_view text) { return "'" + std::string(text) + "'"; };
    NetworkKeys seed = network_keys(proto::kDefaultNetwork);
    return "local function network_keys(name)\n"
           "  if name == " + quoted(proto::kDefaultNetwork) + " then\n"
           "    return {pool = " + quoted(seed.pool) + ", reserved = " + quoted(seed.reserved) +
           ", available = " + quoted(seed.available) + ", allocated = " + quoted(seed.allocated) + "}\n"
           "  end\n"
           "  local prefix = " + quoted(kNetworkPrefix) + " .. name .. ':'\n"
           "  return {pool = prefix .. 'pool', reserved = prefix .. 'reserved', available = prefix .. 'available',\n"
           "          allocated = prefix .. 'allocated'}\n"
           "end\n";
  }();
  return source;
}

}  // namespace vx::ipam::keys
