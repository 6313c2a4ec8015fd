// Reading the answer of one of the cluster's daemons. A 2xx answer is its JSON body; any other
// answer becomes the Error the daemon sent ({"error", "detail"}), with the ErrorKind its status
// maps back to, so that a 409 name_conflict at the IPAM stays a kConflict "name_conflict" for the
// caller. `peer` names the daemon in the errors made up here ("the IPAM at 10.0.1.100:8000").
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.h"
#include "common/http_types.h"

namespace vx {

Result<boost::json::value> json_answer(const HttpResponse& response, const std::string& peer);

// The kind an HTTP status stands for: 502, 503 and 504 are kUnavailable (something behind the
// daemon does not answer); 500 and any status with no kind of its own are kInternal.
ErrorKind error_kind_of(int http_status);

// value[key] when value is an object holding a string there, else "".
std::string string_field(const boost::json::value& value, std::string_view key);

// value[key] when value is an object holding a number there (that fits), else 0.
int64_t int_field(const boost::json::value& value, std::string_view key);

// value[key] when value is an object holding a boolean there, else false.
bool bool_field(const boost::json::value& value, std::string_view key);

// The value when it is an array, else an empty one.
const boost::json::array& array_or_empty(const boost::json::value& value);

}  // namespace vx
