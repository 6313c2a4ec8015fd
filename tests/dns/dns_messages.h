// What the DNS tests share: queries and replies built and read with libldns, as a client or an
// upstream resolver would send them, so that no test spells wire bytes by hand.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/dns/ldns_handles.h"
#include "common/ipv4.h"

namespace vx::agent::dns::testing {

// The address both the answers and the server tests give "web".
inline constexpr Ipv4 kWeb{0xac140005};  // 172.20.0.5

// A query for `name` with `type`, class IN, recursion desired, with `id`.
inline std::vector<uint8_t> query_for(const std::string& name, ldns_rr_type type = LDNS_RR_TYPE_A,
                                      uint16_t id = 0x4242, bool edns = false) {
  ldns_pkt* raw = nullptr;
  if (ldns_pkt_query_new_frm_str(&raw, name.c_str(), type, LDNS_RR_CLASS_IN, LDNS_RD) != LDNS_STATUS_OK) return {};
  PacketPtr packet(raw);
  ldns_pkt_set_id(raw, id);
  if (edns) ldns_pkt_set_edns_udp_size(raw, 4096);
  return to_wire(*packet);
}

// A reply to `query` as an upstream would send it: NOERROR with `address` for its name, or the
// given error code with no record.
inline std::vector<uint8_t> upstream_reply(const std::vector<uint8_t>& query, Ipv4 address,
                                           ldns_pkt_rcode rcode = LDNS_RCODE_NOERROR) {
  PacketPtr asked = parse_packet(query);
  if (!asked || ldns_pkt_qdcount(asked.get()) != 1) return {};
  PacketPtr reply(ldns_pkt_new());
  ldns_pkt_set_id(reply.get(), ldns_pkt_id(asked.get()));
  ldns_pkt_set_qr(reply.get(), true);
  ldns_pkt_set_rd(reply.get(), true);
  ldns_pkt_set_ra(reply.get(), true);
  ldns_pkt_set_rcode(reply.get(), static_cast<uint8_t>(rcode));
  const ldns_rr* question = ldns_rr_list_rr(ldns_pkt_question(asked.get()), 0);
  ldns_pkt_push_rr(reply.get(), LDNS_SECTION_QUESTION, ldns_rr_clone(question));
  if (rcode == LDNS_RCODE_NOERROR) {
    ldns_rr* record = nullptr;
    std::string text = "x. 300 IN A " + address.to_string();
    if (ldns_rr_new_frm_str(&record, text.c_str(), 0, nullptr, nullptr) != LDNS_STATUS_OK) return {};
    ldns_rdf_deep_free(ldns_rr_owner(record));  // set_owner does not free the one it replaces
    ldns_rr_set_owner(record, ldns_rdf_clone(ldns_rr_owner(question)));
    ldns_pkt_push_rr(reply.get(), LDNS_SECTION_ANSWER, record);
  }
  return to_wire(*reply);
}

// What a reply says, read back with ldns.
struct Reply {
  uint16_t id = 0;
  bool qr = false, aa = false, rd = false, tc = false;
  int rcode = -1;
  std::string question;           // the question's name as ldns prints it ("web.")
  std::vector<std::string> addresses;  // of the A records in the answer section
  std::vector<uint32_t> ttls;
  size_t answers = 0;
  bool edns = false;
};

inline std::optional<Reply> read_reply(const std::vector<uint8_t>& bytes) {
  PacketPtr packet = parse_packet(bytes);
  if (!packet) return std::nullopt;
  Reply reply;
  reply.id = ldns_pkt_id(packet.get());
  reply.qr = ldns_pkt_qr(packet.get());
  reply.aa = ldns_pkt_aa(packet.get());
  reply.rd = ldns_pkt_rd(packet.get());
  reply.tc = ldns_pkt_tc(packet.get());
  reply.rcode = ldns_pkt_get_rcode(packet.get());
  reply.edns = ldns_pkt_edns(packet.get());
  if (ldns_pkt_qdcount(packet.get()) == 1) {
    TextPtr name(ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_question(packet.get()), 0))));
    reply.question = name.get();
  }
  ldns_rr_list* answers = ldns_pkt_answer(packet.get());
  reply.answers = ldns_rr_list_rr_count(answers);
  for (size_t i = 0; i < reply.answers; ++i) {
    ldns_rr* rr = ldns_rr_list_rr(answers, i);
    reply.ttls.push_back(ldns_rr_ttl(rr));
    if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_A) continue;
    TextPtr address(ldns_rdf2str(ldns_rr_rdf(rr, 0)));
    reply.addresses.push_back(address.get());
  }
  return reply;
}

}  // namespace vx::agent::dns::testing
