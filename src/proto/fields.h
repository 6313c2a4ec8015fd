// Reading a JSON object into a struct, field by field. The reader remembers the first field that
// was missing or of the wrong type, so that a decoder is a list of fields and one check at the end.
// Both ends of an API read with it, and only the blame differs: a request that fails is the
// caller's fault (kBadInput "missing_field" or "wrong_type", naming the field), an answer that
// fails is the daemon's (kInternal "bad_answer", naming the answer and the field).
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace vx::proto {

class Fields {
 public:
  // `answer`: what the value is, for the errors of an answer ("the IPAM's /peers answer"); empty
  // for a request body.
  Fields(const boost::json::value& value, std::string answer);

  std::string text(std::string_view key);
  // Absent and null both mean "not given".
  std::optional<std::string> maybe_text(std::string_view key);
  bool flag(std::string_view key);
  // Absent and null are std::nullopt.
  std::optional<bool> maybe_flag(std::string_view key);
  uint64_t number(std::string_view key);
  // Absent and null are std::nullopt; an integer beyond int64's range reads as its maximum, so
  // that a range check refuses it.
  std::optional<int64_t> maybe_integer(std::string_view key);
  std::vector<double> numbers(std::string_view key);
  const boost::json::array* list(std::string_view key);
  bool has(std::string_view key) const;

  Status status() const;

 private:
  const boost::json::value* find(std::string_view key);
  void fail(std::string_view key, const char* should_be);

  const boost::json::object* object_;
  std::string answer_;
  std::string failed_key_;
  const char* should_be_ = nullptr;  // set with failed_key_, at the first failure
};

// The first error among fields already read, else the decoded value.
template <typename T>
Result<T> finish(const Fields& fields, T value) {
  if (Status read = fields.status(); !read) return read.error();
  return value;
}

// A request body as a JSON object: kBadInput "invalid_json" when it is not one.
Result<boost::json::value> parse_request_body(std::string_view body);

// A request body read by `read` (Fields& -> T), with the first field that failed as the error.
template <typename Read>
auto read_request(std::string_view body, Read read) -> Result<decltype(read(std::declval<Fields&>()))> {
  auto value = parse_request_body(body);
  if (!value) return value.error();
  Fields fields(*value, {});
  return finish(fields, read(fields));
}

// A list answer, each entry read by `parse_one`; `answer` names it for the errors.
template <typename T, typename Parse>
Result<std::vector<T>> parse_list(const boost::json::value& value, const std::string& answer, Parse parse_one) {
  const boost::json::array* list = value.if_array();
  if (list == nullptr) return internal("bad_answer", answer + " is not a list");
  std::vector<T> out;
  out.reserve(list->size());
  for (const auto& entry : *list) {
    auto one = parse_one(entry);
    if (!one) return one.error();
    out.push_back(std::move(*one));
  }
  return out;
}

}  // namespace vx::proto
