// libldns for C++, included in one place. ldns/common.h defines `bool`, `true` and `false` as
// macros unless a <stdbool.h> came before it (it cannot tell a C++ compiler from an old C one),
// and those macros would then rewrite every later header of the translation unit: include this
// header instead of <ldns/ldns.h>, and only from .cpp files, so that no public header of the DNS
// server carries ldns. The handles own what ldns allocates and free it the way ldns asks.
#pragma once

// clang-format off
#include <stdbool.h>  // before ldns: it defines __bool_true_false_are_defined, so ldns defines nothing
#include <ldns/ldns.h>
// clang-format on

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <span>
#include <vector>

namespace vx::agent::dns {

struct LdnsFree {
  void operator()(ldns_pkt* packet) const { ldns_pkt_free(packet); }
  void operator()(ldns_rr* rr) const { ldns_rr_free(rr); }
  void operator()(ldns_rdf* rdf) const { ldns_rdf_deep_free(rdf); }
  // What ldns_rdf2str, ldns_rr_type2str and ldns_pkt2wire return is malloc'ed.
  void operator()(char* text) const { std::free(text); }
  void operator()(uint8_t* bytes) const { std::free(bytes); }
};

using PacketPtr = std::unique_ptr<ldns_pkt, LdnsFree>;
using RrPtr = std::unique_ptr<ldns_rr, LdnsFree>;
using RdfPtr = std::unique_ptr<ldns_rdf, LdnsFree>;
using TextPtr = std::unique_ptr<char, LdnsFree>;

// The message in `wire`, or null when ldns cannot read it.
PacketPtr parse_packet(std::span<const uint8_t> wire);

// `packet` in wire format; empty when ldns cannot write it.
std::vector<uint8_t> to_wire(const ldns_pkt& packet);

}  // namespace vx::agent::dns
