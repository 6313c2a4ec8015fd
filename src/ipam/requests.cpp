#include "ipam/requests.h"

#include "common/http_client.h"
#include "common/json_body.h"
#include "common/mac.h"
#include "common/names.h"

namespace vx::ipam {

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

Result<HostRegistration> parse_host_registration(std::string_view body) {
  auto object = parse_json_object(body);
  if (!object) return object.error();
  auto host = required_string(*object, "host_id");
  if (!host) return host.error();
  if (auto valid = validate_host_id(*host); !valid) return valid.error();
  auto underlay = required_string(*object, "underlay_ip");
  if (!underlay) return underlay.error();
  if (auto ip = Ipv4::parse(*underlay); !ip) return ip.error();
  auto agent = required_string(*object, "agent_url");
  if (!agent) return agent.error();
  if (auto url = parse_http_url(*agent); !url) return url.error();
  return HostRegistration{std::move(*host), std::move(*underlay), std::move(*agent)};
}

Result<EndpointRequest> parse_endpoint(std::string_view body) {
  auto object = parse_json_object(body);
  if (!object) return object.error();
  auto host = required_string(*object, "host_id");
  if (!host) return host.error();
  if (auto valid = validate_host_id(*host); !valid) return valid.error();
  auto mac = required_string(*object, "mac_address");
  if (!mac) return mac.error();
  auto parsed = parse_mac(*mac);
  if (!parsed) return parsed.error();
  return EndpointRequest{std::move(*host), std::move(*parsed)};
}

}  // namespace vx::ipam
