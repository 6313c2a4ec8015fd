// message.h's replies for a query that ldns has read already, so that a query answered from the
// cluster is read once. For the library's own .cpp files: it brings in ldns.
#pragma once

#include "agent/dns/ldns_handles.h"
#include "agent/dns/message.h"

namespace vx::agent::dns {

// As error_reply() of the bytes, but empty when ldns cannot write the reply.
std::vector<uint8_t> error_reply(const ldns_pkt& query, Rcode rcode);

std::vector<uint8_t> address_reply(const ldns_pkt& query, std::optional<Ipv4> address, uint32_t ttl_seconds);

}  // namespace vx::agent::dns
