#include "proto/names.h"

#include <string>

namespace vx::proto {
namespace {

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// `dots`: whether '.' is one of the characters allowed after the first.
Status validate(std::string_view value, size_t min_length, size_t max_length, const char* what, const char* code,
                bool dots = true) {
  auto reject = [&](const std::string& why) {
    return bad_input(code, std::string(what) + " '" + std::string(value.substr(0, max_length)) +
                               (value.size() > max_length ? "...'" : "'") + " is invalid: " + why);
  };
  if (value.empty()) return bad_input(code, std::string(what) + " must not be empty");
  if (value.size() > max_length) {
    return reject("longer than " + std::to_string(max_length) + " characters");
  }
  if (value.size() < min_length) return reject("shorter than " + std::to_string(min_length) + " characters");
  if (!is_alnum(value[0])) return reject("it must start with a letter or a digit");
  for (char c : value) {
    if (!is_alnum(c) && c != '_' && c != '-' && !(dots && c == '.')) {
      return reject(dots ? "only letters, digits, '_', '.' and '-' are allowed"
                         : "only letters, digits, '_' and '-' are allowed");
    }
  }
  return Ok{};
}

}  // namespace

Status validate_container_name(std::string_view name) {
  return validate(name, kMinContainerName, kMaxContainerName, "container name", "invalid_name");
}

Status validate_host_id(std::string_view host_id) {
  return validate(host_id, 1, kMaxHostId, "host id", "invalid_host_id");
}

Status validate_instance_id(std::string_view instance) {
  return validate(instance, 1, kMaxHostId, "agent instance id", "invalid_instance");
}

Status validate_network_name(std::string_view network) {
  return validate(network, 1, kMaxNetworkName, "network name", "invalid_network", false);
}

std::string gateway_name(std::string_view host_id, std::string_view network) {
  if (network == kDefaultNetwork) return std::string(kGatewayNamePrefix) + std::string(host_id);
  return std::string(kNetworkGatewayPrefix) + std::string(network) + "." + std::string(host_id);
}

}  // namespace vx::proto
