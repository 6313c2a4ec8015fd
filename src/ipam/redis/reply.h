// A Redis reply as a plain value, copied out of hiredis so that nothing else sees hiredis types.
#pragma once

#include <string>
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

}  // namespace vx::ipam
