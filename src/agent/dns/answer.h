// What the name server does with one query, as a pure function of its bytes and of what the
// cluster knows: no sockets, no clock, so that tests and the fuzzer drive it directly.
//
// A query for a name the cluster places in the asking network is answered here (an A record, or
// no record for other types); a name the cluster places only in other networks is NXDOMAIN, so
// that a network learns nothing of another's containers; any other name is for the upstream
// resolvers. Responses, runts and opcodes other than QUERY are never forwarded.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/ipv4.h"

namespace vx::agent::dns {

// What the cluster knows of a name, asked for one network.
struct NameAnswer {
  enum class Kind { kAddress, kOtherNetwork, kUnknown } kind = Kind::kUnknown;
  Ipv4 address;  // for kAddress
};

// Asked with the network the query came from and the query's name in lower case, without its
// final dot ("web", "my.app"; DNS names are case-insensitive, so a lookup keyed by lowercased
// names matches every spelling). Called on the server's executor, once per query: it must be
// synchronous and cheap. Never asked for the root name.
using Lookup = std::function<NameAnswer(std::string_view network, std::string_view name)>;

struct AnswerOptions {
  // Short, so that a removed container stops resolving within a second even where answers are
  // cached. NXDOMAIN carries no SOA, so that negative answers are not cached at all (RFC 2308).
  uint32_t ttl_seconds = 1;
};

enum class Outcome {
  kAnswered,  // an A record
  kNoData,    // a known name, another type (AAAA, MX...): NOERROR with no record
  kNxDomain,  // a name of another network
  kForward,   // unknown here: for the upstreams, unchanged
  kRefused,   // FORMERR (unreadable, not one question) or NOTIMP (not a QUERY)
  kDropped,   // not a query at all (a response, a runt): no reply
};

struct Decision {
  Outcome outcome = Outcome::kDropped;
  std::vector<uint8_t> reply;  // what to send back; empty for kForward and kDropped
  std::string name;            // the question's name as given to Lookup, for logs
  uint16_t type = 0;           // the question's type, for logs
};

Decision decide(std::span<const uint8_t> query, std::string_view network, const Lookup& lookup,
                const AnswerOptions& options = {});

const char* outcome_name(Outcome outcome);

}  // namespace vx::agent::dns
