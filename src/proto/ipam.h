// The wire of the IPAM's API, besides the peer feed (peers.h): each request body and each answer,
// encoded and decoded here for both ends. The IPAM decodes requests (a body that fails is a 400
// that names the field, and nothing changes) and encodes answers; the agent and vxctl do the
// reverse (an answer that fails is kInternal "bad_answer"). Names follow the rules in names.h.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/ipv4.h"
#include "proto/peers.h"

namespace vx::proto {

// POST /allocate
struct AllocateRequest {
  std::string container_name;
  std::string host_id;
  std::optional<Ipv4> ip_address;  // reserve exactly this one; the IPAM checks it is in its pool
  std::string network = std::string(kDefaultNetwork);
};

// The answer of POST /allocate.
struct Reservation {
  Endpoint endpoint;
  bool created = false;  // false: the name already held this address on this host
};

// POST /deallocate (or /release)
struct ReleaseRequest {
  std::string container_name;
  std::string host_id;  // empty: whichever host holds it
  std::string network = {};  // empty: whichever network it is on; else it must be on that one
  // Empty: whatever MAC it was recorded with; else it must be this one, so that a name that passed
  // to another container of the same host in the meantime stays with it.
  std::string mac_address = {};
};

// POST /hosts
struct HostRegistration {
  std::string host_id;
  std::string underlay_ip;
  std::string agent_url;
};

// The answer of POST /hosts: the registration and the overlay's subnet.
struct Registered {
  HostRegistration host;
  std::string network_subnet;
};

// The answer of DELETE /hosts/{id}?release=true: a dead host removed for good.
struct HostRemoval {
  std::string host_id;
  uint64_t released = 0;  // addresses
};

// POST /container/{name}/endpoint
struct EndpointRecord {
  std::string host_id;
  std::string mac_address;  // lower case
};

// POST /container/{name}/rename: the name's entry, on host_id, moves to container_name.
struct RenameRequest {
  std::string host_id;
  std::string container_name;
};

// One entry of GET /hosts.
struct HostStatus {
  Host host;
  uint64_t heartbeat_age_ms = 0;
  uint64_t containers = 0;  // the containers the registry holds on this host, its gateway not counted
};

// GET /stats?network=
struct PoolStats {
  uint64_t total = 0;
  uint64_t allocated = 0;
  uint64_t available = 0;
  std::string subnet;
  std::string network = std::string(kDefaultNetwork);
};

// The VXLAN network identifiers a network may have; the default network's is kDefaultVni, and a
// network created without one gets the lowest free one from kFirstChosenVni, above the range
// people tend to pick by hand.
inline constexpr uint32_t kMaxVni = (1u << 24) - 1;
inline constexpr uint32_t kDefaultVni = 100;
inline constexpr uint32_t kFirstChosenVni = 4097;

// Another network's subnet is at most this large: its whole pool is written in one script.
inline constexpr int kMinNetworkPrefix = 16;

// POST /networks. The range defaults to every host address of the subnet.
struct NetworkRequest {
  std::string name;
  std::string subnet;  // a CIDR, as given
  std::optional<uint32_t> vni;
  std::optional<Ipv4> range_start;
  std::optional<Ipv4> range_end;
  // An agent writing back a network it carries, which Redis lost: the pool is quarantined, as the
  // default network's is then, while the agents reserve their containers' addresses again.
  bool restore = false;
};

// One network with its pool's figures: GET /networks, GET /networks/{name}, and POST /networks's
// answer.
struct NetworkStatus {
  std::string name;
  std::string subnet;
  uint32_t vni = 0;
  std::string range_start;
  std::string range_end;
  uint64_t total = 0;
  uint64_t allocated = 0;  // the hosts' gateways included
  uint64_t available = 0;
};

// GET /check/{name}
struct NameCheck {
  std::string container_name;
  std::optional<Endpoint> holder;  // empty: the name is free
};

// What clients send.
boost::json::object to_json(const AllocateRequest& request);
boost::json::object to_json(const ReleaseRequest& request);
boost::json::object to_json(const HostRegistration& registration);
boost::json::object to_json(const EndpointRecord& record);
boost::json::object to_json(const RenameRequest& request);
boost::json::object to_json(const NetworkRequest& request);

// What the IPAM answers (peers.h encodes Host and Endpoint).
boost::json::object to_json(const Reservation& reservation);
boost::json::object to_json(const Registered& registered);
boost::json::object to_json(const HostStatus& status);
boost::json::object to_json(const HostRemoval& removal);
boost::json::object to_json(const PoolStats& stats);
boost::json::object to_json(const NameCheck& check);
boost::json::object to_json(const NetworkStatus& network);

// The IPAM's reading of request bodies: JSON shape, then the name rules, addresses and URLs.
Result<AllocateRequest> parse_allocate_request(std::string_view body);
Result<ReleaseRequest> parse_release_request(std::string_view body);
Result<HostRegistration> parse_host_registration(std::string_view body);
Result<EndpointRecord> parse_endpoint_record(std::string_view body);
Result<RenameRequest> parse_rename_request(std::string_view body);
// Checks the name (never the default network's), the CIDR and the VNI's range; the range against
// the subnet is the IPAM's.
Result<NetworkRequest> parse_network_request(std::string_view body);
// kBadInput "invalid_subnet" for a subnet larger than a /kMinNetworkPrefix or overlapping
// loopback, link-local, multicast or 0.0.0.0/8.
Status check_network_subnet(const Cidr& subnet);

// The clients' reading of answers (peers.h reads a single Host or Endpoint).
Result<std::vector<Endpoint>> parse_endpoints(const boost::json::value& answer);
Result<Reservation> parse_reservation(const boost::json::value& answer);
Result<Registered> parse_registered(const boost::json::value& answer);
Result<std::vector<HostStatus>> parse_host_statuses(const boost::json::value& answer);
Result<HostRemoval> parse_host_removal(const boost::json::value& answer);
Result<PoolStats> parse_pool_stats(const boost::json::value& answer);
Result<NameCheck> parse_name_check(const boost::json::value& answer);
Result<NetworkStatus> parse_network_status(const boost::json::value& answer);
Result<std::vector<NetworkStatus>> parse_network_statuses(const boost::json::value& answer);

}  // namespace vx::proto
