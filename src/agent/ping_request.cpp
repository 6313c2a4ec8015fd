#include "agent/ping_request.h"

#include <boost/json.hpp>
#include <limits>

#include "common/json_body.h"
#include "common/names.h"

namespace vx::agent {

namespace json = boost::json;

namespace {

struct Range {
  int64_t low;
  int64_t high;
  const char* code;  // the 400 for a number outside
};

// An optional integer field within `range`: absent or null is nothing; a non-integer is
// wrong_type, an integer outside the range is range.code.
Result<std::optional<int64_t>> optional_integer(const json::object& body, std::string_view field, Range range) {
  const json::value* value = body.if_contains(field);
  if (value == nullptr || value->is_null()) return std::optional<int64_t>();
  if (!value->is_int64() && !value->is_uint64()) {
    return bad_input("wrong_type", "field '" + std::string(field) + "' must be an integer");
  }
  // Only numbers above int64's range are parsed as uint64.
  int64_t number = value->is_int64() ? value->get_int64() : std::numeric_limits<int64_t>::max();
  if (number < range.low || number > range.high) {
    return bad_input(range.code, "field '" + std::string(field) + "' must be from " + std::to_string(range.low) +
                                     " to " + std::to_string(range.high));
  }
  return std::optional<int64_t>(number);
}

// 0.0.0.0/8 means "this host", 224.0.0.0 and above are multicast, reserved and broadcast.
bool is_unicast(Ipv4 ip) {
  uint32_t first_octet = ip.value() >> 24;
  return first_octet != 0 && first_octet < 224;
}

Status read_target(PingRequest& request) {
  const std::string& target = request.target;
  if (target.find_first_not_of("0123456789.") == std::string::npos) {
    auto ip = Ipv4::parse(target);
    if (!ip || !is_unicast(*ip)) {
      return bad_input("invalid_target", "target '" + target + "' is not a unicast IPv4 address");
    }
    request.target_ip = *ip;
    return Ok{};
  }
  if (!validate_container_name(target)) {
    return bad_input("invalid_target", "target '" + target.substr(0, 64) +
                                           "' is neither a container name nor an IPv4 address");
  }
  return Ok{};
}

}  // namespace

Result<PingRequest> parse_ping_request(std::string_view body) {
  auto object = parse_json_object(body);
  if (!object) return object.error();
  PingRequest request;
  auto target = required_string(*object, "target");
  if (!target) return target.error();
  request.target = std::move(*target);
  if (Status valid = read_target(request); !valid) return valid.error();
  auto count = optional_integer(*object, "count", {1, 10, "invalid_count"});
  if (!count) return count.error();
  auto timeout = optional_integer(*object, "timeout_ms", {100, 5000, "invalid_timeout"});
  if (!timeout) return timeout.error();
  auto port = optional_integer(*object, "port", {1, 65535, "invalid_port"});
  if (!port) return port.error();
  if (*count) request.count = static_cast<int>(**count);
  if (*timeout) request.timeout = std::chrono::milliseconds(**timeout);
  if (*port) request.port = static_cast<uint16_t>(**port);
  return request;
}

}  // namespace vx::agent
