#include "ipam/requests.h"

#include "common/json_body.h"
#include "common/names.h"

namespace vx {

Result<AllocateRequest> parse_allocate(std::string_view body, const PoolSpec& pool) {
  auto object = parse_json_object(body);
  if (!object) return object.error();
  auto name = required_string(*object, "container_name");
  if (!name) return name.error();
  if (auto valid = validate_container_name(*name); !valid) return valid.error();
  auto host = required_string(*object, "host_id");
  if (!host) return host.error();
  if (auto valid = validate_host_id(*host); !valid) return valid.error();
  auto wanted = optional_string(*object, "ip_address");
  if (!wanted) return wanted.error();
  AllocateRequest request{std::move(*name), std::move(*host), std::nullopt};
  if (wanted->has_value()) {
    auto ip = Ipv4::parse(**wanted);
    if (!ip) return ip.error();
    if (auto member = pool.check_member(*ip); !member) return member.error();
    request.ip_address = *ip;
  }
  return request;
}

Result<ReleaseRequest> parse_release(std::string_view body) {
  auto object = parse_json_object(body);
  if (!object) return object.error();
  auto name = required_string(*object, "container_name");
  if (!name) return name.error();
  if (auto valid = validate_container_name(*name); !valid) return valid.error();
  auto host = optional_string(*object, "host_id");
  if (!host) return host.error();
  if (host->has_value()) {
    if (auto valid = validate_host_id(**host); !valid) return valid.error();
  }
  return ReleaseRequest{std::move(*name), host->value_or("")};
}

}  // namespace vx
