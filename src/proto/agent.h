// The wire of the agent's API: creating, listing, inspecting and removing containers, and the
// reachability check. The agent decodes requests (a body that fails is a 400 that names the
// field) and encodes answers; vxctl does the reverse (an answer that fails is kInternal
// "bad_answer"). Health answers are for monitors and people, and stay free-form.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/ipv4.h"
#include "proto/names.h"

namespace vx::proto {

// POST /create_container (a JSON body, or the seed's query parameters of the same names)
struct CreateRequest {
  std::string container_name;
  std::string image;
  std::string network = std::string(kDefaultNetwork);  // absent: the default network
};

// A container the agent manages, as it answers for it.
struct Container {
  std::string container_id;
  std::string container_name;
  std::string ip_address;
  std::string mac_address;
  std::string host_id;
  std::string image;
  std::string status;  // Docker's: "running", "exited", ...
  std::string network = std::string(kDefaultNetwork);
};

// POST /container/{name}/ping: {"target": NAME or IPv4, "count": 1..10 (3), "timeout_ms":
// 100..5000 (1000), "port": 1..65535 (none: ICMP)}. A target of digits and dots only is meant as
// an address and must be a unicast IPv4 one (invalid_target otherwise); anything else must be a
// container name. Absent and null optional fields take their defaults.
struct PingRequest {
  std::string target;             // as given
  std::optional<Ipv4> target_ip;  // when the target is an address; else it names a container
  int count = 3;
  std::chrono::milliseconds timeout{1000};
  std::optional<uint16_t> port;  // TCP connects to this port instead of ICMP echoes
};

// GET /fdb: one entry of the host's VXLAN forwarding database, a MAC pointed at a peer's underlay
// address ("00:00:00:00:00:00": the flood entry towards that peer).
struct ForwardingEntry {
  std::string mac;
  std::string dst;
  auto operator<=>(const ForwardingEntry&) const = default;
};

// The answer of the reachability check. Lost probes are an outcome, not an error.
struct PingReport {
  std::string container_name;
  std::string host_id;
  std::string source_ip;
  std::string target;
  std::string target_ip;
  std::optional<uint16_t> port;  // the check was TCP connects to it
  uint64_t sent = 0;
  std::vector<double> rtt_ms;  // one per answered probe, in milliseconds to the microsecond

  uint64_t received() const { return rtt_ms.size(); }
  std::optional<double> average_rtt_ms() const;
};

boost::json::object to_json(const CreateRequest& request);
boost::json::object to_json(const Container& container);
boost::json::object to_json(const PingRequest& request);
boost::json::object to_json(const PingReport& report);  // with "method", "received", "reachable"
boost::json::object to_json(const ForwardingEntry& entry);

Result<CreateRequest> parse_create_request(std::string_view body);
Result<PingRequest> parse_ping_request(std::string_view body);

Result<Container> parse_container(const boost::json::value& answer);
Result<std::vector<Container>> parse_containers(const boost::json::value& answer);
Result<PingReport> parse_ping_report(const boost::json::value& answer);
Result<std::vector<ForwardingEntry>> parse_forwarding_entries(const boost::json::value& answer);

}  // namespace vx::proto
