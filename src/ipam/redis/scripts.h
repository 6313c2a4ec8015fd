// The Lua scripts that change or read the registry. Each runs atomically inside Redis, so every
// state the registry can be seen in, even after a crash or kill, satisfies the invariants:
// available_ips and allocated_ips are disjoint and together exactly the pool, every allocated
// address has one name that points back to it, and every change to hosts or endpoints is in the
// change log under its own revision. A script that can refuse answers with an outcome word, never
// an error reply, so that the caller maps outcomes to answers in one place.
//
// Each script's arguments and reply are declared here, by name, as the shapes of shape.h (its
// Signature: Args and Reply); its source, beside the keys it touches, is in scripts.cpp and reads
// its arguments through locals of the same names and answers through reply{...}.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ipam/redis/shape.h"

namespace vx::ipam::lua {

// A script's source and the keys it touches, in the order its KEYS name them: declared once,
// beside the source, so that no caller lists them again.
struct Code {
  std::string name;  // what it does, for messages
  std::string source;
  std::vector<std::string> keys;
};

// The script of a Signature: its source is `body` after the locals its arguments arrive in and the
// reply function it answers through, both derived from the Signature's shapes.
template <class Signature>
struct Script : Code {
  Script(std::string name, const std::string& body, std::vector<std::string> keys)
      : Code{std::move(name),
             argument_locals<typename Signature::Args>() + reply_function<typename Signature::Reply>() + body,
             std::move(keys)} {}
};

// Writes the default network's pool unless Redis holds it, and registers the default network.
// Never deletes a registry entry: a pool of the same range is left as it is, with only changes of
// reservation applied; a different range is refused.
struct InitPool {
  struct Args {
    std::string subnet;
    uint64_t net_first = 0;  // the subnet's first and last addresses, as integers, for overlap checks
    uint64_t net_last = 0;
    uint64_t first = 0;  // the range's first and last addresses, as integers
    uint64_t last = 0;
    uint64_t total = 0;  // the number of addresses it hands out
    uint64_t vni = 0;
    // When the pool is written (not found), allocations of any address are refused for this long
    // (Allocate's "quarantined"): 0 unless Redis lost the registry under a running IPAM.
    uint64_t quarantine_ms = 0;
    std::vector<std::string> reserved;
    template <class Self, class F>
    static void fields(Self& self, F&& field) {
      field("subnet", self.subnet);
      field("net_first", self.net_first);
      field("net_last", self.net_last);
      field("first", self.first);
      field("last", self.last);
      field("total", self.total);
      field("vni", self.vni);
      field("quarantine_ms", self.quarantine_ms);
      field("reserved", self.reserved);
    }
  };
  struct Reply {
    std::string outcome;  // "created" | "existing" | "mismatch" | "reserved_in_use"
    std::string subnet;   // mismatch: the pool Redis holds, with its range as addresses
    std::string first;
    std::string last;
    std::string address;  // reserved_in_use: the reserved address allocated to a container
    template <class Self, class F>
    static void fields(Self& self, F&& field) {
      field("outcome", self.outcome);
      field("subnet", self.subnet);
      field("first", self.first);
      field("last", self.last);
      field("address", self.address);
    }
  };
};
extern const Script<InitPool> kInitPool;

// Creates a network other than the default one, with its pool. Creating it again with the same
// subnet, range and VNI (or none) is "existing". A network's name, VNI and subnet are each its
// own: no two networks share a VNI, and no two subnets overlap.
struct CreateNetwork {
  struct Args {
    std::string name;
    std::string subnet;
    uint64_t net_first = 0;
    uint64_t net_last = 0;
    uint64_t first = 0;
    uint64_t last = 0;
    uint64_t total = 0;
    uint64_t vni = 0;  // 0: the lowest free one from kFirstChosenVni
    uint64_t quarantine_ms = 0;  // as InitPool's, when it is written
    template <class Self, class F>
    static void fields(Self& self, F&& field) {
      field("name", self.name);
      field("subnet", self.subnet);
      field("net_first", self.net_first);
      field("net_last", self.net_last);
      field("first", self.first);
      field("last", self.last);
      field("total", self.total);
      field("vni", self.vni);
      field("quarantine_ms", self.quarantine_ms);
    }
  };
  struct Reply {
    // "created" | "existing" | "name_taken" (another subnet, range or VNI) | "vni_taken" |
    // "overlap" | "no_vni" (every VNI is taken) | "uninitialised" (Redis lacks the default
    // network) | "underlay_overlap" (a host's underlay address, in `subnet`, of host `other`)
    std::string outcome;
    uint64_t vni = 0;     // created, existing: the network's
    std::string other;    // vni_taken, overlap: the network that holds it
    std::string subnet;   // name_taken, overlap: the subnet the existing network has
    template <class Self, class F>
    static void fields(Self& self, F&& field) {
      field("outcome", self.outcome);
      field("vni", self.vni);
      field("other", self.other);
      field("subnet", self.subnet);
    }
  };
};
extern const Script<CreateNetwork> kCreateNetwork;

// Deletes a network other than the default one, with its pool, once no container holds one of its
// addresses; the hosts' gateway reservations on it are released with it.
struct DeleteNetwork {
  struct Args {
    std::string name;
    template <class Self, class F>
    static void fields(Self& self, F&& field) {
      field("name", self.name);
    }
  };
  struct Reply {
    std::string outcome;  // "deleted" | "not_found" | "default" | "in_use"
    std::string holder;   // in_use: a container that holds an address
    uint64_t gateways = 0;  // deleted: the gateway reservations released
    template <class Self, class F>
    static void fields(Self& self, F&& field) {
      field("outcome", self.outcome);
      field("holder", self.holder);
      field("gateways", self.gateways);
    }
  };
};
extern const Script<DeleteNetwork> kDeleteNetwork;

// Every network with its pool's figures, read together. O(networks).
struct ListNetworks {
  struct Args {
    std::string name;  // "" for all
    template <class Self, class F>
    static void fields(Self& self, F&& field) {
      field("name", self.name);
    }
  };
  struct Network {
    std::string name;
    std::string subnet;
    uint64_t vni = 0;
    uint64_t first = 0;
    uint64_t last = 0;
    uint64_t total = 0;
    uint64_t allocated = 0;
    uint64_t available = 0;
    template <class Self, class F>
    static void fields(Self& self, F&& field) {
      field("name", self.name);
      field("subnet", self.subnet);
      field("vni", self.vni);
      field("first", self.first);
      field("last", self.last);
      field("total", self.total);
      field("allocated", self.allocated);
      field("available", self.available);
    }
  };
  struct Reply {
    std::vector<Network> networks;  // sorted by name; those whose pool Redis lacks left out
    template <class Self, class F>
    static void fields(Self& self, F&& field) {
      field("networks", self.networks);
    }
  };
};
extern const Script<ListNetworks> kListNetworks;

// A host registered by an agent is bound to that agent's instance id (RegisterHost): the scripts
// that act for a host refuse, as "wrong_instance", a call presenting another instance. A call
// presenting none ("") is the seed API's, and is not checked.

// Hands out addresses. Requests in one call apply in order: a name twice is "existing" (or a
// conflict) the second time. Each created name is a change: put endpoint, without a MAC yet.
struct Allocate {
  struct Request {
    std::string name;
    std::string host;
    std::string wanted;  // the address asked for, or "" for any
    std::string instance;
    std::string network;
    template <class Self, class F>
    static void fields(Self& self, F&& field) {
      field("name", self.name);
      field("host", self.host);
      field("wanted", self.wanted);
      field("instance", self.instance);
      field("network", self.network);
    }
  };
  // The default network's pool this IPAM serves: an allocation from a pool another IPAM wrote over it is refused.
  struct Args {
    std::string subnet;
    uint64_t first = 0;
    uint64_t last = 0;
    std::vector<Request> requests;
    template <class Self, class F>
    static void fields(Self& self, F&& field) {
      field("subnet", self.subnet);
      field("first", self.first);
      field("last", self.last);
      field("requests", self.requests);
    }
  };
  // Per request, in order: "created" or "existing" with address and owner (the request's host);
  // "quarantined" with the milliseconds left, for a new name asking for any address while the pool
  // is quarantined (InitPool);
  // "wrong_instance"; "unknown_network";
  // "name_conflict" with the address the name holds and its owner; "name_on_other_network" with
  // the address the name holds and its network; "name_holds_other_ip" with the
  // address the name holds; "ip_taken" with the address wanted and its holder; "ip_unavailable"
  // with the address wanted; "exhausted".
  struct Outcome {
    std::string outcome;
    std::string address;
    std::string owner;   // the host that holds the name
    std::string holder;  // the container that holds the address
    std::string network;  // name_on_other_network: the network the name is on
    template <class Self, class F>
    static void fields(Self& self, F&& field) {
      field("outcome", self.outcome);
      field("address", self.address);
      field("owner", self.owner);
      field("holder", self.holder);
      field("network", self.network);
    }
  };
  struct Reply {
    // "applied", with an outcome per request | "uninitialised": Redis holds no pool |
    // "pool_mismatch": Redis holds another pool than the one in the arguments
    std::string status;
    std::vector<Outcome> outcomes;
    template <class Self, class F>
    static void fields(Self& self, F&& field) {
      field("status", self.status);
      field("outcomes", self.outcomes);
    }
  };
};
extern const Script<Allocate> kAllocate;

// Frees a name's address.
struct Release {
  struct Args {
    std::string name;
    std::string host;  // the host it must be on, or "" for any whose host is not alive
    std::string instance;
    std::string network;  // the network it must be on, or "" for any
    std::string mac;      // the MAC it must be recorded with, or "" for any
    template <class Self, class F>
    static void fields(Self& self, F&& field) {
      field("name", self.name);
      field("host", self.host);
      field("instance", self.instance);
      field("network", self.network);
      field("mac", self.mac);
    }
  };
  struct Reply {
    // "released" | "host_mismatch" | "network_mismatch" | "mac_mismatch" | "owner_alive" (no host
    // given) | "wrong_instance" | "not_found"
    std::string outcome;
    std::string address;  // released, host_mismatch, network_mismatch: the name's address, its
    std::string owner;    // host and its network
    std::string network;
    template <class Self, class F>
    static void fields(Self& self, F&& field) {
      field("outcome", self.outcome);
      field("address", self.address);
      field("owner", self.owner);
      field("network", self.network);
    }
  };
};
extern const Script<Release> kRelease;

// Records the MAC of a name's endpoint. A MAC that changes is a change: put endpoint; recording
// the same MAC again is not.
struct RecordEndpoint {
  struct Args {
    std::string name;
    std::string host;
    std::string mac;
    std::string instance;
    template <class Self, class F>
    static void fields(Self& self, F&& field) {
      field("name", self.name);
      field("host", self.host);
      field("mac", self.mac);
      field("instance", self.instance);
    }
  };
  struct Reply {
    std::string outcome;  // "recorded" | "host_mismatch" | "mac_taken" | "wrong_instance" | "not_found"
    std::string address;  // recorded: the name's address
    std::string owner;    // host_mismatch: the host the name is on
    std::string holder;   // mac_taken: the name that holds the MAC
    template <class Self, class F>
    static void fields(Self& self, F&& field) {
      field("outcome", self.outcome);
      field("address", self.address);
      field("owner", self.owner);
      field("holder", self.holder);
    }
  };
};
extern const Script<RecordEndpoint> kRecordEndpoint;

// Moves a name's entry (address, host, network, MAC) to another name on the same host, as one
// change: a delete of the old name and a put of the new one under consecutive revisions. The
// address is held throughout, so no other name can take it in between.
struct Rename {
  struct Args {
    std::string name;
    std::string to;
    std::string host;
    std::string instance;
    template <class Self, class F>
    static void fields(Self& self, F&& field) {
      field("name", self.name);
      field("to", self.to);
      field("host", self.host);
      field("instance", self.instance);
    }
  };
  struct Reply {
    // "renamed" | "not_found" | "host_mismatch" | "name_conflict" (`to` is held) | "wrong_instance"
    std::string outcome;
    std::string address;  // renamed: the address; name_conflict: the one `to` holds
    std::string owner;    // host_mismatch, name_conflict: the host of the name that is in the way
    std::string mac;      // renamed: the MAC it carries, "" when none is recorded
    std::string network;  // renamed: its network
    template <class Self, class F>
    static void fields(Self& self, F&& field) {
      field("outcome", self.outcome);
      field("address", self.address);
      field("owner", self.owner);
      field("mac", self.mac);
      field("network", self.network);
    }
  };
};
extern const Script<Rename> kRename;

// What a name holds.
struct Find {
  struct Args {
    std::string name;
    template <class Self, class F>
    static void fields(Self& self, F&& field) {
      field("name", self.name);
    }
  };
  struct Reply {
    std::string address;  // "" when the name holds none
    std::string host;
    std::string mac;  // "" until recorded
    std::string network;
    template <class Self, class F>
    static void fields(Self& self, F&& field) {
      field("address", self.address);
      field("host", self.host);
      field("mac", self.mac);
      field("network", self.network);
    }
  };
};
extern const Script<Find> kFind;

// A network's pool's counts, read together.
struct Stats {
  struct Args {
    std::string network;
    template <class Self, class F>
    static void fields(Self& self, F&& field) {
      field("network", self.network);
    }
  };
  struct Reply {
    uint64_t available = 0;
    uint64_t allocated = 0;
    std::string subnet;  // "" when Redis holds no pool for the network
    uint64_t total = 0;
    template <class Self, class F>
    static void fields(Self& self, F&& field) {
      field("available", self.available);
      field("allocated", self.allocated);
      field("subnet", self.subnet);
      field("total", self.total);
    }
  };
};
extern const Script<Stats> kStats;

// The host scripts read the clock from Redis, so that IPAM replicas on different machines agree on
// which hosts are alive. A host is alive while its last heartbeat (vxlan:hosts, by time) is
// younger than the TTL. vxlan:hosts_alive holds the hosts last seen alive, with the same scores,
// so that finding the ones that just went quiet costs the number of those, not of all hosts.

// The outcome of a host script that says nothing else.
struct HostOutcome {
  std::string outcome;
  template <class Self, class F>
  static void fields(Self& self, F&& field) {
    field("outcome", self.outcome);
  }
};

// The arguments of a host script that acts for one host.
struct HostCall {
  std::string id;
  std::string instance;  // the caller's, or ""
  template <class Self, class F>
  static void fields(Self& self, F&& field) {
    field("id", self.id);
    field("instance", self.instance);
  }
};

// Registers a host, or registers it again, and binds it to the caller's instance (none when ""). A
// live host of another id on the same underlay address is a conflict, and so is a live host bound
// to another instance: "instance_taken". A dead one is neither. Registering again with the same
// addresses while alive changes nothing a peer sees.
struct RegisterHost {
  struct Args {
    std::string id;
    std::string underlay;
    std::string agent;  // the agent's URL
    uint64_t ttl = 0;   // ms
    std::string instance;
    template <class Self, class F>
    static void fields(Self& self, F&& field) {
      field("id", self.id);
      field("underlay", self.underlay);
      field("agent", self.agent);
      field("ttl", self.ttl);
      field("instance", self.instance);
    }
  };
  struct Reply {
    std::string outcome;  // "registered" | "underlay_taken" | "instance_taken"
    std::string holder;   // underlay_taken: the live host on that underlay address
    template <class Self, class F>
    static void fields(Self& self, F&& field) {
      field("outcome", self.outcome);
      field("holder", self.holder);
    }
  };
};
extern const Script<RegisterHost> kRegisterHost;

// A host's heartbeat: "alive" | "unknown" | "wrong_instance". Only a host coming back to life is a
// change.
struct Heartbeat {
  using Args = HostCall;
  using Reply = HostOutcome;
};
extern const Script<Heartbeat> kHeartbeat;

// Marks the hosts whose heartbeats stopped as not alive. Each IPAM replica runs this every
// fraction of the TTL; it is idempotent, so they need no coordination. At most 1000 hosts a call,
// to bound the time Redis spends in it.
struct SweepHosts {
  struct Args {
    uint64_t ttl = 0;  // ms
    template <class Self, class F>
    static void fields(Self& self, F&& field) {
      field("ttl", self.ttl);
    }
  };
  struct Reply {
    uint64_t quiet = 0;  // how many hosts were found quiet
    template <class Self, class F>
    static void fields(Self& self, F&& field) {
      field("quiet", self.quiet);
    }
  };
};
extern const Script<SweepHosts> kSweepHosts;

// A host leaving for good: "left" | "unknown" | "wrong_instance".
struct LeaveHost {
  using Args = HostCall;
  using Reply = HostOutcome;
};
extern const Script<LeaveHost> kLeaveHost;

// Every host's last heartbeat, with Redis's clock. O(hosts).
struct Heartbeats {
  using Args = NoArgs;
  struct Seen {
    std::string id;
    uint64_t last = 0;  // ms, on Redis's clock
    template <class Self, class F>
    static void fields(Self& self, F&& field) {
      field("id", self.id);
      field("last", self.last);
    }
  };
  struct Reply {
    uint64_t now = 0;  // ms, on Redis's clock
    std::vector<Seen> hosts;
    template <class Self, class F>
    static void fields(Self& self, F&& field) {
      field("now", self.now);
      field("hosts", self.hosts);
    }
  };
};
extern const Script<Heartbeats> kHeartbeats;

// Marks the Redis process the revisions count in. A Redis process not seen before (restarted,
// failed over) may have come back with fewer writes than were read from it: its later revisions
// could repeat numbers that readers already hold for other changes. So its revisions move above
// every earlier one, behind a reset entry. Every connection sends this first, ahead of anything it
// writes (feed.h), and does not read the reply.
struct MarkLifetime {
  using Args = NoArgs;
  struct Reply {
    std::string outcome;  // "same" | "new"
    uint64_t revision = 0;  // new: the lifetime's first revision
    template <class Self, class F>
    static void fields(Self& self, F&& field) {
      field("outcome", self.outcome);
      field("revision", self.revision);
    }
  };
};
extern const Script<MarkLifetime> kMarkLifetime;

// Where the change log is, read together, so that a snapshot taken afterwards continues exactly
// from that change.
struct FeedPosition {
  using Args = NoArgs;
  struct Reply {
    uint64_t revision = 0;  // 0 before the first change
    std::string cursor;     // the stream id of the last change, or ""
    template <class Self, class F>
    static void fields(Self& self, F&& field) {
      field("revision", self.revision);
      field("cursor", self.cursor);
    }
  };
};
extern const Script<FeedPosition> kFeedPosition;

}  // namespace vx::ipam::lua
