#include "proto/ipam.h"

#include "common/http_client.h"
#include "common/mac.h"
#include "proto/fields.h"
#include "proto/names.h"

namespace vx::proto {

namespace json = boost::json;

namespace {

constexpr const char* kIpamAnswer = "the IPAM's answer";

}  // namespace

json::object to_json(const AllocateRequest& request) {
  json::object out{{"container_name", request.container_name}, {"host_id", request.host_id}};
  if (request.ip_address) out["ip_address"] = request.ip_address->to_string();
  if (request.network != kDefaultNetwork) out["network"] = request.network;
  return out;
}

json::object to_json(const ReleaseRequest& request) {
  json::object out{{"container_name", request.container_name}};
  if (!request.host_id.empty()) out["host_id"] = request.host_id;
  if (!request.network.empty()) out["network"] = request.network;
  if (!request.mac_address.empty()) out["mac_address"] = request.mac_address;
  return out;
}

json::object to_json(const NetworkRequest& request) {
  json::object out{{"name", request.name}, {"subnet", request.subnet}};
  if (request.vni) out["vni"] = *request.vni;
  if (request.range_start) out["range_start"] = request.range_start->to_string();
  if (request.range_end) out["range_end"] = request.range_end->to_string();
  if (request.restore) out["restore"] = true;
  return out;
}

json::object to_json(const HostRegistration& registration) {
  return {{"host_id", registration.host_id},
          {"underlay_ip", registration.underlay_ip},
          {"agent_url", registration.agent_url}};
}

json::object to_json(const EndpointRecord& record) {
  return {{"host_id", record.host_id}, {"mac_address", record.mac_address}};
}

json::object to_json(const RenameRequest& request) {
  return {{"host_id", request.host_id}, {"container_name", request.container_name}};
}

json::object to_json(const Reservation& reservation) {
  json::object out = to_json(reservation.endpoint);
  out["created"] = reservation.created;
  return out;
}

json::object to_json(const Registered& registered) {
  json::object out = to_json(registered.host);
  out["network_subnet"] = registered.network_subnet;
  return out;
}

json::object to_json(const HostRemoval& removal) {
  return {{"host_id", removal.host_id}, {"released", removal.released}};
}

json::object to_json(const HostStatus& status) {
  json::object out = to_json(status.host);
  out["heartbeat_age_ms"] = status.heartbeat_age_ms;
  out["containers"] = status.containers;
  return out;
}

json::object to_json(const PoolStats& stats) {
  return {{"total_ips", stats.total},
          {"allocated_ips", stats.allocated},
          {"available_ips", stats.available},
          {"network_subnet", stats.subnet},
          {"network", stats.network}};
}

json::object to_json(const NetworkStatus& network) {
  return {{"name", network.name},
          {"subnet", network.subnet},
          {"vni", network.vni},
          {"range_start", network.range_start},
          {"range_end", network.range_end},
          {"total_ips", network.total},
          {"allocated_ips", network.allocated},
          {"available_ips", network.available}};
}

json::object to_json(const NameCheck& check) {
  json::object out = check.holder ? to_json(*check.holder) : json::object{{"container_name", check.container_name}};
  out["exists"] = check.holder.has_value();
  return out;
}

// The texts of a request before their rules are checked, an optional one apart from the rest.
template <typename T>
struct Given {
  T request;
  std::optional<std::string> optional;
};

Result<AllocateRequest> parse_allocate_request(std::string_view body) {
  auto given = read_request(body, [](Fields& fields) {
    return Given<AllocateRequest>{{fields.text("container_name"), fields.text("host_id"), std::nullopt,
                                   fields.maybe_text("network").value_or(std::string(kDefaultNetwork))},
                                  fields.maybe_text("ip_address")};
  });
  if (!given) return given.error();
  AllocateRequest& request = given->request;
  if (auto valid = validate_container_name(request.container_name); !valid) return valid.error();
  if (auto valid = validate_host_id(request.host_id); !valid) return valid.error();
  if (auto valid = validate_network_name(request.network); !valid) return valid.error();
  if (given->optional) {
    auto ip = Ipv4::parse(*given->optional);
    if (!ip) return ip.error();
    request.ip_address = *ip;
  }
  return std::move(request);
}

Result<ReleaseRequest> parse_release_request(std::string_view body) {
  auto given = read_request(body, [](Fields& fields) {
    return Given<ReleaseRequest>{{fields.text("container_name"), "", fields.maybe_text("network").value_or(""),
                                  fields.maybe_text("mac_address").value_or("")},
                                 fields.maybe_text("host_id")};
  });
  if (!given) return given.error();
  ReleaseRequest& request = given->request;
  if (auto valid = validate_container_name(request.container_name); !valid) return valid.error();
  if (!request.network.empty()) {
    if (auto valid = validate_network_name(request.network); !valid) return valid.error();
  }
  if (!request.mac_address.empty()) {
    auto mac = parse_unicast_mac(request.mac_address);
    if (!mac) return mac.error();
    request.mac_address = std::move(*mac);
  }
  if (given->optional) {
    if (auto valid = validate_host_id(*given->optional); !valid) return valid.error();
    request.host_id = std::move(*given->optional);
  }
  return std::move(request);
}

Result<HostRegistration> parse_host_registration(std::string_view body) {
  auto host = read_request(body, [](Fields& fields) {
    return HostRegistration{fields.text("host_id"), fields.text("underlay_ip"), fields.text("agent_url")};
  });
  if (!host) return host.error();
  if (auto valid = validate_host_id(host->host_id); !valid) return valid.error();
  auto underlay = Ipv4::parse(host->underlay_ip);
  if (!underlay) return underlay.error();
  // Peers send VXLAN packets to it: an address no other host can reach black-holes them.
  if (!underlay->is_unicast() || underlay->is_loopback()) {
    return bad_input("invalid_underlay_ip", "underlay address " + host->underlay_ip +
                                                " is not one other hosts can reach (loopback, multicast, "
                                                "broadcast or 0.0.0.0/8)");
  }
  if (auto url = parse_http_url(host->agent_url); !url) return url.error();
  return host;
}

Result<EndpointRecord> parse_endpoint_record(std::string_view body) {
  auto record = read_request(body, [](Fields& fields) {
    return EndpointRecord{fields.text("host_id"), fields.text("mac_address")};
  });
  if (!record) return record.error();
  if (auto valid = validate_host_id(record->host_id); !valid) return valid.error();
  auto mac = parse_unicast_mac(record->mac_address);
  if (!mac) return mac.error();
  record->mac_address = std::move(*mac);
  return record;
}

Result<RenameRequest> parse_rename_request(std::string_view body) {
  auto request = read_request(body, [](Fields& fields) {
    return RenameRequest{fields.text("host_id"), fields.text("container_name")};
  });
  if (!request) return request.error();
  if (auto valid = validate_host_id(request->host_id); !valid) return valid.error();
  if (auto valid = validate_container_name(request->container_name); !valid) return valid.error();
  return request;
}

Status check_network_subnet(const Cidr& subnet) {
  if (subnet.prefix_length() < kMinNetworkPrefix) {
    return bad_input("invalid_subnet", "subnet " + subnet.to_string() + " is larger than a /" +
                                           std::to_string(kMinNetworkPrefix) + ": its pool would keep Redis busy for seconds");
  }
  // Every network's subnet is routed on the hosts that carry it and refused as a source by the
  // daemons: one that covers loopback, link-local or multicast addresses would cut them off.
  struct Reserved {
    const char* cidr;
    const char* what;
  };
  for (const Reserved& reserved : {Reserved{"0.0.0.0/8", "'this network'"}, Reserved{"127.0.0.0/8", "loopback"},
                                   Reserved{"169.254.0.0/16", "link-local"}, Reserved{"224.0.0.0/3", "multicast and reserved"}}) {
    Cidr block = *Cidr::parse(reserved.cidr);
    if (block.contains(subnet.network()) || subnet.contains(block.network())) {
      return bad_input("invalid_subnet", "subnet " + subnet.to_string() + " overlaps the " + reserved.what +
                                             " addresses " + reserved.cidr);
    }
  }
  return Ok{};
}

Result<NetworkRequest> parse_network_request(std::string_view body) {
  struct Texts {
    NetworkRequest request;
    std::optional<int64_t> vni;
    std::optional<std::string> range_start, range_end;
  };
  auto given = read_request(body, [](Fields& fields) {
    return Texts{{fields.text("name"), fields.text("subnet"), {}, {}, {}, fields.has("restore") && fields.flag("restore")},
                 fields.maybe_integer("vni"),
                 fields.maybe_text("range_start"),
                 fields.maybe_text("range_end")};
  });
  if (!given) return given.error();
  NetworkRequest& request = given->request;
  if (auto valid = validate_network_name(request.name); !valid) return valid.error();
  if (request.name == kDefaultNetwork) {
    return bad_input("default_network", "network '" + request.name + "' is the default network: it always exists");
  }
  auto subnet = Cidr::parse(request.subnet);
  if (!subnet) return subnet.error();
  request.subnet = subnet->to_string();
  if (Status usable = check_network_subnet(*subnet); !usable) return usable.error();
  if (given->vni) {
    if (*given->vni < 1 || *given->vni > int64_t{kMaxVni}) {
      return bad_input("invalid_vni", "vni " + std::to_string(*given->vni) + " is not 1 to " +
                                          std::to_string(kMaxVni));
    }
    request.vni = static_cast<uint32_t>(*given->vni);
  }
  for (auto [text, bound] : {std::pair{&given->range_start, &request.range_start},
                             std::pair{&given->range_end, &request.range_end}}) {
    if (!*text) continue;
    auto ip = Ipv4::parse(**text);
    if (!ip) return ip.error();
    *bound = *ip;
  }
  return std::move(request);
}

Result<std::vector<Endpoint>> parse_endpoints(const json::value& answer) {
  return parse_list<Endpoint>(answer, kIpamAnswer, parse_endpoint);
}

Result<Reservation> parse_reservation(const json::value& answer) {
  auto endpoint = parse_endpoint(answer);
  if (!endpoint) return endpoint.error();
  Fields fields(answer, kIpamAnswer);
  return finish(fields, Reservation{std::move(*endpoint), fields.flag("created")});
}

Result<Registered> parse_registered(const json::value& answer) {
  Fields fields(answer, kIpamAnswer);
  HostRegistration host{fields.text("host_id"), fields.text("underlay_ip"), fields.text("agent_url")};
  return finish(fields, Registered{std::move(host), fields.text("network_subnet")});
}

Result<HostRemoval> parse_host_removal(const json::value& answer) {
  Fields fields(answer, kIpamAnswer);
  return finish(fields, HostRemoval{fields.text("host_id"), fields.number("released")});
}

Result<std::vector<HostStatus>> parse_host_statuses(const json::value& answer) {
  return parse_list<HostStatus>(answer, kIpamAnswer, [](const json::value& entry) -> Result<HostStatus> {
    auto host = parse_host(entry);
    if (!host) return host.error();
    Fields fields(entry, kIpamAnswer);
    HostStatus status{std::move(*host), fields.number("heartbeat_age_ms"), fields.number("containers")};
    return finish(fields, std::move(status));
  });
}

Result<PoolStats> parse_pool_stats(const json::value& answer) {
  Fields fields(answer, kIpamAnswer);
  PoolStats stats{fields.number("total_ips"), fields.number("allocated_ips"), fields.number("available_ips"),
                  fields.text("network_subnet"), fields.maybe_text("network").value_or(std::string(kDefaultNetwork))};
  return finish(fields, std::move(stats));
}

Result<NetworkStatus> parse_network_status(const json::value& answer) {
  Fields fields(answer, kIpamAnswer);
  NetworkStatus network{fields.text("name"),        fields.text("subnet"),        0,
                        fields.text("range_start"), fields.text("range_end"),     fields.number("total_ips"),
                        fields.number("allocated_ips"), fields.number("available_ips")};
  uint64_t vni = fields.number("vni");
  if (Status read = fields.status(); !read) return read.error();
  if (vni < 1 || vni > kMaxVni) return internal("bad_answer", std::string(kIpamAnswer) + " has VNI " + std::to_string(vni));
  network.vni = static_cast<uint32_t>(vni);
  return network;
}

Result<std::vector<NetworkStatus>> parse_network_statuses(const json::value& answer) {
  return parse_list<NetworkStatus>(answer, kIpamAnswer, parse_network_status);
}

Result<NameCheck> parse_name_check(const json::value& answer) {
  Fields fields(answer, kIpamAnswer);
  NameCheck check{fields.text("container_name"), std::nullopt};
  bool exists = fields.flag("exists");
  if (Status read = fields.status(); !read) return read.error();
  if (!exists) return check;
  auto holder = parse_endpoint(answer);
  if (!holder) return holder.error();
  check.holder = std::move(*holder);
  return check;
}

}  // namespace vx::proto
