#include "ipam/pool.h"

#include <algorithm>

namespace vx::ipam {
namespace {

Error invalid_pool(const std::string& detail) { return bad_input("invalid_pool", detail); }

}  // namespace

Result<PoolSpec> PoolSpec::make(const Cidr& subnet, std::optional<Ipv4> first,
                                std::optional<Ipv4> last, std::vector<Ipv4> reserved) {
  if (subnet.prefix_length() > 30) {
    return invalid_pool("subnet " + subnet.to_string() + " has no room for a pool; use /30 or larger");
  }
  Ipv4 lowest(subnet.network().value() + 1), highest(subnet.broadcast().value() - 1);
  Ipv4 from = first.value_or(lowest), to = last.value_or(highest);
  for (Ipv4 bound : {from, to}) {
    if (bound < lowest || bound > highest) {
      return invalid_pool("range bound " + bound.to_string() + " is not a host address of " +
                          subnet.to_string() + " (" + lowest.to_string() + " to " + highest.to_string() + ")");
    }
  }
  if (from > to) return invalid_pool("range start " + from.to_string() + " is after range end " + to.to_string());
  for (Ipv4 ip : reserved) {
    if (!subnet.contains(ip)) {
      return invalid_pool("reserved address " + ip.to_string() + " is outside " + subnet.to_string());
    }
  }
  std::erase_if(reserved, [&](Ipv4 ip) { return ip < from || ip > to; });
  std::sort(reserved.begin(), reserved.end());
  reserved.erase(std::unique(reserved.begin(), reserved.end()), reserved.end());
  PoolSpec pool(subnet, from, to, std::move(reserved));
  if (pool.size() == 0) return invalid_pool("every address of the range is reserved");
  if (pool.size() > kMaxPoolSize) {
    return invalid_pool("the range holds " + std::to_string(pool.size()) + " addresses; at most " +
                        std::to_string(kMaxPoolSize) + " are supported (use a /12 or smaller)");
  }
  return pool;
}

Status PoolSpec::check_member(Ipv4 ip) const {
  if (ip < first_ || ip > last_) {
    return bad_input("ip_outside_pool", ip.to_string() + " is outside the pool " + first_.to_string() +
                                            " to " + last_.to_string());
  }
  if (std::binary_search(reserved_.begin(), reserved_.end(), ip)) {
    return bad_input("ip_reserved", ip.to_string() + " is reserved and never handed out");
  }
  return Ok{};
}

}  // namespace vx::ipam
