#include "common/host_port.h"

#include <charconv>

#include "common/ipv4.h"

namespace vx {

Result<HostPort> parse_listen_address(std::string_view text) {
  auto invalid = [&] {
    return bad_input("invalid_listen", "'" + std::string(text) + "' is not of the form ADDRESS:PORT");
  };
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return invalid();
  std::string_view host = text.substr(0, colon), port_text = text.substr(colon + 1);
  if (!Ipv4::parse(host)) return invalid();
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535) {
    return invalid();
  }
  return HostPort{std::string(host), static_cast<uint16_t>(port)};
}

}  // namespace vx
