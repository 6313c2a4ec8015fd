// The arguments and the reply of a Lua script (scripts.h) are each a struct that lists its fields
// once, by name, in the order they travel: in ARGV for the arguments, in the reply array for the
// reply. Every position is derived from that one list: the Lua locals a script's arguments arrive
// in (argument_locals), the Lua function `reply{name = value, ...}` a script answers through
// (reply_function), the ARGV a call sends (encode) and the struct its reply decodes into (decode).
// So neither a script nor its callers count positions, and the two sides cannot drift apart.
//
// A shape lists its fields in a static function, so that the one list serves both a const object
// (to encode it) and a mutable one (to decode into it):
//
//   struct Args {
//     std::string name;
//     uint64_t ttl = 0;
//     template <class Self, class F>
//     static void fields(Self& self, F&& field) {
//       field("name", self.name);
//       field("ttl", self.ttl);
//     }
//   };
//
// A field is text (std::string) or a whole number (uint64_t). The last field may instead be a list
// (std::vector) of either, or of records: shapes of their own whose fields are text or numbers. A
// list takes every remaining position, which is why it can only be last; the Lua generators check
// that, so a misshapen script stops the program as it starts. Field names are Lua identifiers.
//
// In Lua, a number argument arrives as a Lua number (exact below 2^53). A reply field the script
// leaves out is sent as "" or 0; a reply number may be given as text, which keeps a revision read
// with GET exact.
#pragma once

#include <concepts>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "ipam/redis/reply.h"

namespace vx::ipam::lua {

// The arguments of a script that takes none.
struct NoArgs {
  template <class Self, class F>
  static void fields(Self&, F&&) {}
};

namespace shape {

template <class T>
using Bare = std::remove_cvref_t<T>;

template <class T>
inline constexpr bool kIsList = false;
template <class T>
inline constexpr bool kIsList<std::vector<T>> = true;

template <class T>
concept Scalar = std::same_as<T, std::string> || std::same_as<T, uint64_t>;

struct AnyField {
  template <class V>
  void operator()(const char*, V&) const {}
};

template <class T>
concept Record = requires(T& value) { T::fields(value, AnyField{}); };

// Calls visit(name, field) for each field of a default `S`: what the Lua generators read.
template <class S, class F>
void each_field(F&& visit) {
  S blank{};
  S::fields(blank, visit);
}

// How many positions one element of a list takes.
template <class E>
size_t width() {
  if constexpr (Scalar<E>) {
    return 1;
  } else {
    static_assert(Record<E>, "a list holds text, numbers or records");
    size_t count = 0;
    each_field<E>([&](const char*, auto& field) {
      static_assert(Scalar<Bare<decltype(field)>>, "a record's fields are text or numbers");
      ++count;
    });
    return count;
  }
}

inline void check_not_after_list(bool listed, const char* name) {
  if (listed) throw std::logic_error(std::string("script field '") + name + "' follows a list");
}

template <class T>
std::string lua_argument(const std::string& position) {
  if constexpr (std::same_as<T, uint64_t>) return "tonumber(ARGV[" + position + "])";
  return "ARGV[" + position + "]";
}

// The Lua value of one element of a list whose element starts at ARGV[i].
template <class E>
std::string lua_element() {
  if constexpr (Scalar<E>) {
    return lua_argument<E>("i");
  } else {
    std::string lua = "{";
    size_t offset = 0;
    each_field<E>([&](const char* name, auto& field) {
      if (offset > 0) lua += ", ";
      lua += std::string(name) + " = " +
             lua_argument<Bare<decltype(field)>>(offset == 0 ? "i" : "i + " + std::to_string(offset));
      ++offset;
    });
    return lua + "}";
  }
}

// Lua that appends `value` to the reply array `out`.
template <class T>
std::string lua_append(const std::string& value) {
  if constexpr (std::same_as<T, uint64_t>) return "  out[#out + 1] = " + value + " or 0\n";
  return "  out[#out + 1] = tostring(" + value + " or '')\n";
}

template <class T>
void append(std::vector<std::string>& argv, const T& value) {
  if constexpr (std::same_as<T, std::string>) {
    argv.push_back(value);
  } else if constexpr (std::same_as<T, uint64_t>) {
    argv.push_back(std::to_string(value));
  } else if constexpr (kIsList<T>) {
    for (const auto& element : value) append(argv, element);
  } else {
    static_assert(Record<T>, "a field is text, a number, a list or a record");
    T::fields(value, [&](const char*, const auto& field) { append(argv, field); });
  }
}

// Reads `value` from elements[next...], advancing `next` past it. A number may come as an integer
// reply or as text; text may come as an integer reply too.
template <class T>
void read(const std::vector<RedisReply>& elements, size_t& next, T& value) {
  if constexpr (Scalar<T>) {
    const RedisReply& element = elements[next++];
    bool integer = element.type == RedisReply::Type::kInteger;
    if constexpr (std::same_as<T, uint64_t>) {
      value = integer ? static_cast<uint64_t>(element.integer) : text_number(element.str);
    } else {
      value = integer ? std::to_string(element.integer) : element.str;
    }
  } else {
    T::fields(value, [&](const char*, auto& field) { read(elements, next, field); });
  }
}

}  // namespace shape

// Lua that declares one local per field of `Args`, named as the field, holding its argument.
template <class Args>
std::string argument_locals() {
  std::string lua;
  size_t position = 1;
  bool listed = false;
  shape::each_field<Args>([&](const char* name, auto& field) {
    using T = shape::Bare<decltype(field)>;
    shape::check_not_after_list(listed, name);
    const std::string local = name;
    if constexpr (shape::kIsList<T>) {
      using E = typename T::value_type;
      listed = true;
      lua += "local " + local + " = {}\nfor i = " + std::to_string(position) + ", #ARGV, " +
             std::to_string(shape::width<E>()) + " do " + local + "[#" + local + " + 1] = " +
             shape::lua_element<E>() + " end\n";
    } else {
      lua += "local " + local + " = " + shape::lua_argument<T>(std::to_string(position++)) + "\n";
    }
  });
  return lua;
}

// Lua that defines reply(r): the array of r's fields named as those of `Reply`, in its order.
template <class Reply>
std::string reply_function() {
  std::string lua = "local function reply(r)\n  local out = {}\n";
  bool listed = false;
  shape::each_field<Reply>([&](const char* name, auto& field) {
    using T = shape::Bare<decltype(field)>;
    shape::check_not_after_list(listed, name);
    const std::string value = std::string("r.") + name;
    if constexpr (shape::kIsList<T>) {
      using E = typename T::value_type;
      listed = true;
      lua += "  for _, e in ipairs(" + value + " or {}) do\n";
      if constexpr (shape::Scalar<E>) {
        lua += "  " + shape::lua_append<E>("e");
      } else {
        shape::each_field<E>([&](const char* part, auto& element_field) {
          lua += "  " + shape::lua_append<shape::Bare<decltype(element_field)>>("e." + std::string(part));
        });
      }
      lua += "  end\n";
    } else {
      lua += shape::lua_append<T>(value);
    }
  });
  return lua + "  return out\nend\n";
}

// The ARGV of a call with `args`.
template <class Args>
std::vector<std::string> encode(const Args& args) {
  std::vector<std::string> argv;
  Args::fields(args, [&](const char*, const auto& field) { shape::append(argv, field); });
  return argv;
}

// A script's reply as a `Reply`; none when it is not an array of that shape.
template <class Reply>
std::optional<Reply> decode(const RedisReply& reply) {
  if (reply.type != RedisReply::Type::kArray) return std::nullopt;
  const std::vector<RedisReply>& elements = reply.elements;
  Reply out{};
  size_t next = 0;
  bool fits = true;
  Reply::fields(out, [&](const char*, auto& field) {
    using T = shape::Bare<decltype(field)>;
    if (!fits) return;
    if constexpr (shape::kIsList<T>) {
      size_t width = shape::width<typename T::value_type>();
      if ((elements.size() - next) % width != 0) fits = false;
      while (fits && next < elements.size()) shape::read(elements, next, field.emplace_back());
    } else {
      if (next < elements.size()) shape::read(elements, next, field);
      else fits = false;
    }
  });
  if (!fits || next != elements.size()) return std::nullopt;
  return out;
}

}  // namespace vx::ipam::lua
