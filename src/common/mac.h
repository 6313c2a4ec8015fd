// MAC addresses as the kernel and Docker print them: six hex pairs separated by ':'.
#pragma once

#include <string>
#include <string_view>

#include "common/error.h"

namespace vx {

// The MAC of a VXLAN device's flood entries: broadcast, unknown unicast and multicast towards a peer.
inline constexpr const char* kFloodMac = "00:00:00:00:00:00";

// Accepts upper or lower case; answers lower case. kBadInput "invalid_mac" otherwise.
Result<std::string> parse_mac(std::string_view text);

// One interface's MAC: not a group (multicast or broadcast) address, and not all zeros. A container
// recorded with a group MAC would flood the overlay's forwarding entries.
Result<std::string> parse_unicast_mac(std::string_view text);

}  // namespace vx
