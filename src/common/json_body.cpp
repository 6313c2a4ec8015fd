#include "common/json_body.h"

#include <boost/json/parse.hpp>

namespace vx {

namespace json = boost::json;

Result<json::object> parse_json_object(std::string_view body) {
  boost::system::error_code ec;
  json::value value = json::parse(body, ec);
  if (ec) return bad_input("invalid_json", "the request body is not valid JSON: " + ec.message());
  if (!value.is_object()) return bad_input("invalid_json", "the request body must be a JSON object");
  return std::move(value.as_object());
}

Result<std::optional<std::string>> optional_string(const json::object& object,
                                                   std::string_view field) {
  const json::value* value = object.if_contains(field);
  if (value == nullptr || value->is_null()) return std::optional<std::string>();
  if (!value->is_string()) {
    return bad_input("wrong_type", "field '" + std::string(field) + "' must be a string");
  }
  return std::optional<std::string>(std::string(value->as_string()));
}

Result<std::string> required_string(const json::object& object, std::string_view field) {
  auto value = optional_string(object, field);
  if (!value) return value.error();
  if (!value->has_value()) {
    return bad_input("missing_field", "field '" + std::string(field) + "' is required");
  }
  return std::move(**value);
}

}  // namespace vx
