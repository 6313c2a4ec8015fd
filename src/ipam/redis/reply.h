// A Redis reply as a plain value, copied out of hiredis so that nothing else sees hiredis types.
#pragma once

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vx::ipam {

struct RedisReply {
  enum class Type { kNil, kInteger, kString, kStatus, kError, kArray };

  Type type = Type::kNil;
  long long integer = 0;
  std::string str;  // kString, kStatus and kError
  std::vector<RedisReply> elements;

  bool is_error() const { return type == Type::kError; }
  bool is_nil() const { return type == Type::kNil; }
};

// A Redis string holding a whole number, such as a revision; 0 when it holds none (nil, "").
inline uint64_t text_number(std::string_view text) {
  uint64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

}  // namespace vx::ipam
