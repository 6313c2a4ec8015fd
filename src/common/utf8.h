// Text from outside (a request's path or body) may hold any bytes, but a JSON answer that echoes it
// must be UTF-8, or it is no JSON at all.
#pragma once

#include <string>
#include <string_view>

namespace vx {

// `text` with every byte that is not part of a well-formed UTF-8 sequence (overlong forms,
// surrogates and code points past U+10FFFF included) replaced by U+FFFD.
std::string valid_utf8(std::string_view text);

}  // namespace vx
