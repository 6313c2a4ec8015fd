// Reading a JSON request body into typed fields, each failure a precise 400: malformed JSON, a body
// that is not an object, a missing field and a field of the wrong type each say which and why.
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"

namespace vx {

Result<boost::json::object> parse_json_object(std::string_view body);

Result<std::string> required_string(const boost::json::object& object, std::string_view field);

// Absent and null both mean "not given".
Result<std::optional<std::string>> optional_string(const boost::json::object& object,
                                                   std::string_view field);

}  // namespace vx
