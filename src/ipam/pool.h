// The address pool an IPAM hands out from: a range inside the subnet, less reserved addresses.
// It never contains the subnet's network or broadcast address. Built once from configuration and
// validated there, so the rest of the IPAM can trust it.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "common/error.h"
#include "common/ipv4.h"

namespace vx::ipam {

// A pool is written into Redis whole; past this size that stops being quick and cheap.
inline constexpr uint64_t kMaxPoolSize = uint64_t{1} << 20;

class PoolSpec {
 public:
  // The range defaults to every host address of the subnet. Reserved addresses must lie in the
  // subnet; those outside the range are dropped, as they are never handed out anyway.
  static Result<PoolSpec> make(const Cidr& subnet, std::optional<Ipv4> first,
                               std::optional<Ipv4> last, std::vector<Ipv4> reserved);

  const Cidr& subnet() const { return subnet_; }
  Ipv4 first() const { return first_; }
  Ipv4 last() const { return last_; }
  const std::vector<Ipv4>& reserved() const { return reserved_; }  // sorted, inside the range
  uint64_t size() const { return last_.value() - first_.value() + 1 - reserved_.size(); }

  // Why `ip` can never be handed out, or Ok if it may be.
  Status check_member(Ipv4 ip) const;

 private:
  PoolSpec(Cidr subnet, Ipv4 first, Ipv4 last, std::vector<Ipv4> reserved)
      : subnet_(subnet), first_(first), last_(last), reserved_(std::move(reserved)) {}

  Cidr subnet_;
  Ipv4 first_, last_;
  std::vector<Ipv4> reserved_;
};

}  // namespace vx::ipam
