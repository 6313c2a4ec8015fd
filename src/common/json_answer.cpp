#include "common/json_answer.h"

#include <boost/json.hpp>
#include <cmath>

namespace vx {

namespace json = boost::json;

ErrorKind error_kind_of(int http_status) {
  switch (http_status) {
    case 400: return ErrorKind::kBadInput;
    case 401: return ErrorKind::kUnauthorized;
    case 403: return ErrorKind::kForbidden;
    case 404: return ErrorKind::kNotFound;
    case 405: return ErrorKind::kMethod;
    case 409: return ErrorKind::kConflict;
    case 413: return ErrorKind::kTooLarge;
    case 502:
    case 503:
    case 504: return ErrorKind::kUnavailable;
    default: return ErrorKind::kInternal;
  }
}

namespace {

const json::value* find_field(const json::value& value, std::string_view key) {
  const json::object* object = value.if_object();
  return object ? object->if_contains(key) : nullptr;
}

}  // namespace

std::string string_field(const json::value& value, std::string_view key) {
  const json::value* found = find_field(value, key);
  return found && found->is_string() ? std::string(found->as_string()) : std::string();
}

bool bool_field(const json::value& value, std::string_view key) {
  const json::value* found = find_field(value, key);
  return found && found->is_bool() && found->as_bool();
}

const json::array& array_or_empty(const json::value& value) {
  static const json::array empty;
  const json::array* array = value.if_array();
  return array ? *array : empty;
}

int64_t int_field(const json::value& value, std::string_view key) {
  const json::value* found = find_field(value, key);
  if (found == nullptr) return 0;
  if (found->is_int64()) return found->as_int64();
  if (found->is_uint64()) return static_cast<int64_t>(found->as_uint64());
  if (found->is_double()) {
    double number = found->as_double();
    // Beyond ±2^63 the conversion is undefined: such a count is nonsense anyway.
    return std::abs(number) < 9.2e18 ? static_cast<int64_t>(number) : 0;
  }
  return 0;
}

Result<json::value> json_answer(const HttpResponse& response, const std::string& peer) {
  boost::system::error_code ec;
  json::value parsed = json::parse(response.body, ec);
  bool success = response.status >= 200 && response.status < 300;
  if (success && !ec) return parsed;
  if (success) return internal("bad_answer", peer + " answered " + std::to_string(response.status) + " without JSON");
  std::string code = string_field(parsed, "error");
  std::string detail = string_field(parsed, "detail");
  if (code.empty()) code = "http_" + std::to_string(response.status);
  if (detail.empty()) detail = peer + " answered " + std::to_string(response.status);
  return Error{error_kind_of(response.status), std::move(code), std::move(detail)};
}

}  // namespace vx
