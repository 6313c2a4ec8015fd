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

}  // namespace vx
