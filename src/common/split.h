// A list written on one line, as flags and URLs carry them: "a,b,c".
#pragma once

#include <string_view>
#include <vector>

namespace vx {

// Every piece between separators, empty ones included, so that a caller can refuse "a,,b".
inline std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> out;
  for (size_t start = 0;;) {
    size_t end = text.find(separator, start);
    out.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return out;
    start = end + 1;
  }
}

}  // namespace vx
