#include "common/mac.h"

#include <cctype>

namespace vx {

Result<std::string> parse_mac(std::string_view text) {
  bool valid = text.size() == 17;
  std::string out(text);
  for (size_t i = 0; valid && i < out.size(); ++i) {
    valid = i % 3 == 2 ? out[i] == ':' : std::isxdigit(static_cast<unsigned char>(out[i])) != 0;
    out[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(out[i])));
  }
  if (!valid) return bad_input("invalid_mac", "'" + std::string(text) + "' is not a MAC address like 02:42:ac:14:00:05");
  return out;
}

Result<std::string> parse_unicast_mac(std::string_view text) {
  auto mac = parse_mac(text);
  if (!mac) return mac;
  bool group = (std::stoi(mac->substr(0, 2), nullptr, 16) & 1) != 0;
  if (group || *mac == "00:00:00:00:00:00") {
    return bad_input("invalid_mac", "'" + *mac + "' is not a unicast MAC address");
  }
  return mac;
}

}  // namespace vx
