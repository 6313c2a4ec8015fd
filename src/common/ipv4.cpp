#include "common/ipv4.h"

#include <charconv>

namespace vx {
namespace {

// One decimal octet without sign, leading zeros or trailing text.
bool parse_octet(std::string_view text, uint32_t& out) {
  if (text.empty() || text.size() > 3 || (text.size() > 1 && text[0] == '0')) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && out <= 255;
}

}  // namespace

Result<Ipv4> Ipv4::parse(std::string_view text) {
  uint32_t value = 0;
  std::string_view rest = text;
  for (int i = 0; i < 4; ++i) {
    size_t dot = i < 3 ? rest.find('.') : rest.size();
    uint32_t octet = 0;
    if (dot == std::string_view::npos || !parse_octet(rest.substr(0, dot), octet)) {
      return bad_input("invalid_ip", "'" + std::string(text) + "' is not an IPv4 address");
    }
    value = value << 8 | octet;
    rest = i < 3 ? rest.substr(dot + 1) : std::string_view();
  }
  return Ipv4(value);
}

std::string Ipv4::to_string() const {
  return std::to_string(value_ >> 24) + '.' + std::to_string(value_ >> 16 & 255) + '.' +
         std::to_string(value_ >> 8 & 255) + '.' + std::to_string(value_ & 255);
}

Result<Cidr> Cidr::parse(std::string_view text) {
  auto invalid = [&](const std::string& why) {
    return bad_input("invalid_cidr", "'" + std::string(text) + "' is not a CIDR block: " + why);
  };
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) return invalid("expected ADDRESS/PREFIX");
  auto ip = Ipv4::parse(text.substr(0, slash));
  if (!ip) return invalid("bad address");
  std::string_view len = text.substr(slash + 1);
  // One or two digits, with no leading zero, as written everywhere (from_chars alone takes "-0" and "016").
  bool digits = !len.empty() && len.size() <= 2 && len.find_first_not_of("0123456789") == std::string_view::npos &&
                !(len.size() == 2 && len[0] == '0');
  int prefix = 0;
  if (digits) std::from_chars(len.data(), len.data() + len.size(), prefix);
  if (!digits || prefix > 32) return invalid("prefix length must be 0 to 32");
  Cidr cidr(*ip, prefix);
  if ((ip->value() & ~cidr.mask()) != 0) {
    return invalid("host bits are set; did you mean " + Ipv4(ip->value() & cidr.mask()).to_string() +
                   "/" + std::to_string(prefix) + "?");
  }
  return cidr;
}

Ipv4 Cidr::broadcast() const { return Ipv4(network_.value() | ~mask()); }

bool Cidr::contains(Ipv4 ip) const { return (ip.value() & mask()) == network_.value(); }

std::string Cidr::to_string() const { return network_.to_string() + "/" + std::to_string(prefix_); }

}  // namespace vx
