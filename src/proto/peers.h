// The wire of the peer feed (GET /peers): what the IPAM says every data plane should hold, and the
// changes to it, numbered by revision. The IPAM encodes these and the agents decode them, so both
// read the one definition here.
//
// A snapshot lists every registered host and every registered name (a host's gateway reservations
// included; "mac_address" only once the agent recorded it; "network" only off the default network). A change is a put (the object's fields,
// as in the snapshot) or a delete (the key, and for an endpoint its address and host). An update
// is either changes after the revision asked for, or a snapshot marked "reset" when that revision
// cannot be continued (too old, from the future, or from another Redis lifetime).
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"
#include "proto/names.h"

namespace vx::proto {

struct Host {
  std::string host_id;
  std::string underlay_ip;
  std::string agent_url;
  bool alive = false;  // heartbeats arrive within the IPAM's TTL
  bool operator==(const Host&) const = default;
};

struct Endpoint {
  std::string container_name;
  std::string ip_address;
  std::string host_id;
  std::string mac_address;  // empty until recorded
  std::string network = std::string(kDefaultNetwork);  // absent on the wire: the default network
  bool operator==(const Endpoint&) const = default;
};

enum class Op { kPut, kDelete };
enum class Kind { kHost, kEndpoint };

struct Change {
  uint64_t revision = 0;
  Op op = Op::kPut;
  Kind kind = Kind::kHost;
  Host host;          // kind kHost; a delete fills host_id only
  Endpoint endpoint;  // kind kEndpoint; a delete fills name, address and host
  bool operator==(const Change&) const = default;
};

struct Snapshot {
  uint64_t revision = 0;
  std::vector<Host> hosts;
  std::vector<Endpoint> endpoints;
};

struct Update {
  uint64_t revision = 0;
  bool full = false;            // `snapshot` replaces everything; `changes` is empty
  bool reset = false;           // full, because the revision asked for could not be continued
  std::vector<Change> changes;  // in revision order
  Snapshot snapshot;
};

// The most changes one answer carries; a watcher further behind asks again from the last one.
inline constexpr size_t kMaxChangesPerAnswer = 10000;
// The longest a watcher may ask the IPAM to hold its poll.
inline constexpr uint64_t kMaxWaitMs = 60000;

boost::json::object to_json(const Host& host);
boost::json::object to_json(const Endpoint& endpoint);
boost::json::object to_json(const Change& change);
boost::json::object to_json(const Snapshot& snapshot);  // {"revision", "hosts", "endpoints"}

// One host or endpoint, as in the snapshot.
Result<Host> parse_host(const boost::json::value& answer);
Result<Endpoint> parse_endpoint(const boost::json::value& answer);

// Decoding checks shapes: a field of the wrong type or a missing key is kInternal "bad_answer".
Result<Update> parse_update(const boost::json::value& answer);

}  // namespace vx::proto
