// Feeds the input, as text, to Ipv4::parse, Cidr::parse, the MAC parsers, proto/names.h's
// validators and valid_utf8. Checks that addresses, CIDRs and MACs print back to themselves, that
// validators sharing a rule agree, and that valid_utf8 answers UTF-8 and leaves UTF-8 alone.
#include <boost/json/parse.hpp>
#include <optional>
#include <string>

#include "check.h"
#include "common/ipv4.h"
#include "common/mac.h"
#include "common/utf8.h"
#include "proto/names.h"

namespace vx::fuzz {
namespace {

void addresses(std::string_view text) {
  auto ip = Ipv4::parse(text);
  check_error(ip);
  // Strict parsing: no leading zeros or other spellings, so only the canonical text parses.
  if (ip) check(ip->to_string() == text, "an IPv4 address parses only from its own printing");

  auto cidr = Cidr::parse(text);
  check_error(cidr);
  if (cidr) {
    auto again = Cidr::parse(cidr->to_string());
    check(again && *again == *cidr, "a CIDR block parses back from its printing");
    check(cidr->contains(cidr->network()) && cidr->contains(cidr->broadcast()), "a block holds its own ends");
  }
}

void macs(std::string_view text) {
  auto mac = parse_mac(text);
  check_error(mac);
  if (mac) {
    auto again = parse_mac(*mac);
    check(again && *again == *mac, "a MAC parses back from its printing");
    for (char c : *mac) check(c < 'A' || c > 'Z', "a MAC is answered in lower case");
  }
  auto unicast = parse_unicast_mac(text);
  check_error(unicast);
  if (unicast) check(mac && *unicast == *mac, "a unicast MAC is a MAC");
}

void names(std::string_view text) {
  auto container = proto::validate_container_name(text);
  auto host = proto::validate_host_id(text);
  auto instance = proto::validate_instance_id(text);
  check_error(container);
  check_error(host);
  check_error(instance);
  check(host.ok() == instance.ok(), "host ids and instance ids follow the same rule");
  // The same alphabet, lengths apart.
  if (text.size() >= proto::kMinContainerName && text.size() <= proto::kMaxHostId) {
    check(host.ok() == container.ok(), "container names and host ids share their alphabet");
  }
}

// `text` as a JSON string literal's content, when Boost.JSON (which checks UTF-8) reads it as one.
std::optional<std::string> json_string(std::string_view text) {
  std::string literal = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      literal += '\\';
      literal += static_cast<char>(c);
    } else if (c < 0x20) {
      static constexpr char kHex[] = "0123456789abcdef";
      literal += "\\u00";
      literal += kHex[c >> 4];
      literal += kHex[c & 15];
    } else {
      literal += static_cast<char>(c);
    }
  }
  literal += '"';
  boost::system::error_code ec;
  auto value = boost::json::parse(literal, ec);
  if (ec || !value.is_string()) return std::nullopt;
  return std::string(value.as_string());
}

void utf8(std::string_view text) {
  std::string valid = valid_utf8(text);
  check(json_string(valid) == valid, "valid_utf8 answers UTF-8");
  if (json_string(text)) check(valid == text, "valid_utf8 leaves UTF-8 alone");
}

}  // namespace
}  // namespace vx::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text = vx::fuzz::as_text(data, size);
  vx::fuzz::addresses(text);
  vx::fuzz::macs(text);
  vx::fuzz::names(text);
  vx::fuzz::utf8(text);
  return 0;
}
