// IPv4 addresses and CIDR blocks as plain numbers, so that pool arithmetic is integer arithmetic.
// Parsing is strict: "10.0.0.01", "1.2.3" and a CIDR with host bits set are errors, not guesses.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.h"

namespace vx {

class Ipv4 {
 public:
  constexpr Ipv4() = default;
  constexpr explicit Ipv4(uint32_t value) : value_(value) {}

  static Result<Ipv4> parse(std::string_view text);

  constexpr uint32_t value() const { return value_; }
  std::string to_string() const;

  // One host's address: not in 0.0.0.0/8 ("this network"), not multicast, reserved or broadcast.
  constexpr bool is_unicast() const { return (value_ >> 24) != 0 && (value_ >> 24) < 224; }
  constexpr bool is_loopback() const { return (value_ >> 24) == 127; }

  auto operator<=>(const Ipv4&) const = default;

 private:
  uint32_t value_ = 0;
};

class Cidr {
 public:
  // Accepts "a.b.c.d/n" with 0 <= n <= 32 and no bits set beyond the prefix.
  static Result<Cidr> parse(std::string_view text);

  Ipv4 network() const { return network_; }
  int prefix_length() const { return prefix_; }
  Ipv4 broadcast() const;
  uint64_t size() const { return uint64_t{1} << (32 - prefix_); }
  bool contains(Ipv4 ip) const;
  std::string to_string() const;

  bool operator==(const Cidr&) const = default;

 private:
  Cidr(Ipv4 network, int prefix) : network_(network), prefix_(prefix) {}
  uint32_t mask() const { return prefix_ == 0 ? 0 : ~uint32_t{0} << (32 - prefix_); }

  Ipv4 network_;
  int prefix_ = 0;
};

}  // namespace vx
