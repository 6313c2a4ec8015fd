#include "agent/dns/message.h"

#include <cassert>

#include "agent/dns/message_ldns.h"

namespace vx::agent::dns {

namespace {

// What our own answers advertise to an EDNS client (RFC 6891 6.1.1: a response to a request with
// an OPT record carries one): the size that avoids IP fragmentation (DNS Flag Day 2020).
constexpr uint16_t kEdnsUdpSize = 1232;

ldns_pkt_opcode known_opcode(unsigned value) {
  switch (value) {
    case LDNS_PACKET_IQUERY: return LDNS_PACKET_IQUERY;
    case LDNS_PACKET_STATUS: return LDNS_PACKET_STATUS;
    case LDNS_PACKET_NOTIFY: return LDNS_PACKET_NOTIFY;
    case LDNS_PACKET_UPDATE: return LDNS_PACKET_UPDATE;
    default: return LDNS_PACKET_QUERY;
  }
}

// A response header echoing `query`'s, with its question when it has exactly one.
PacketPtr response_to(const ldns_pkt& query, Rcode rcode) {
  PacketPtr reply(ldns_pkt_new());
  if (!reply) return nullptr;
  ldns_pkt_set_id(reply.get(), ldns_pkt_id(&query));
  ldns_pkt_set_qr(reply.get(), true);
  ldns_pkt_set_opcode(reply.get(), ldns_pkt_get_opcode(&query));
  ldns_pkt_set_rd(reply.get(), ldns_pkt_rd(&query));
  ldns_pkt_set_ra(reply.get(), true);
  ldns_pkt_set_rcode(reply.get(), static_cast<uint8_t>(rcode));
  if (ldns_pkt_qdcount(&query) == 1) {
    ldns_rr* question = ldns_rr_clone(ldns_rr_list_rr(ldns_pkt_question(&query), 0));
    if (question == nullptr || !ldns_pkt_push_rr(reply.get(), LDNS_SECTION_QUESTION, question)) {
      ldns_rr_free(question);
      return nullptr;
    }
  }
  if (ldns_pkt_edns(&query)) ldns_pkt_set_edns_udp_size(reply.get(), kEdnsUdpSize);
  return reply;
}

// The bare header of a response to bytes ldns cannot read, from the header bytes alone.
std::vector<uint8_t> header_reply(std::span<const uint8_t> query, Rcode rcode) {
  if (query.size() < kHeaderSize) return {};
  PacketPtr reply(ldns_pkt_new());
  if (!reply) return {};
  ldns_pkt_set_id(reply.get(), LDNS_ID_WIRE(query.data()));
  ldns_pkt_set_qr(reply.get(), true);
  ldns_pkt_set_opcode(reply.get(), known_opcode(LDNS_OPCODE_WIRE(query.data())));
  ldns_pkt_set_rd(reply.get(), LDNS_RD_WIRE(query.data()) != 0);
  ldns_pkt_set_rcode(reply.get(), static_cast<uint8_t>(rcode));
  return to_wire(*reply);
}

RrPtr a_record(const ldns_rr& question, Ipv4 address, uint32_t ttl_seconds) {
  RrPtr rr(ldns_rr_new());
  RdfPtr owner(ldns_rdf_clone(ldns_rr_owner(&question)));
  uint32_t value = address.value();
  uint8_t bytes[4] = {static_cast<uint8_t>(value >> 24), static_cast<uint8_t>(value >> 16),
                      static_cast<uint8_t>(value >> 8), static_cast<uint8_t>(value)};
  RdfPtr rdata(ldns_rdf_new_frm_data(LDNS_RDF_TYPE_A, sizeof bytes, bytes));
  if (!rr || !owner || !rdata) return nullptr;
  ldns_rr_set_owner(rr.get(), owner.release());
  ldns_rr_set_type(rr.get(), LDNS_RR_TYPE_A);
  ldns_rr_set_class(rr.get(), LDNS_RR_CLASS_IN);
  ldns_rr_set_ttl(rr.get(), ttl_seconds);
  if (!ldns_rr_push_rdf(rr.get(), rdata.get())) return nullptr;
  rdata.release();
  return rr;
}

}  // namespace

std::vector<uint8_t> error_reply(std::span<const uint8_t> query, Rcode rcode) {
  PacketPtr parsed = parse_packet(query);
  std::vector<uint8_t> reply = parsed ? error_reply(*parsed, rcode) : std::vector<uint8_t>{};
  return reply.empty() ? header_reply(query, rcode) : reply;
}

std::vector<uint8_t> error_reply(const ldns_pkt& query, Rcode rcode) {
  PacketPtr reply = response_to(query, rcode);
  return reply ? to_wire(*reply) : std::vector<uint8_t>{};
}

std::vector<uint8_t> address_reply(std::span<const uint8_t> query, std::optional<Ipv4> address,
                                   uint32_t ttl_seconds) {
  PacketPtr parsed = parse_packet(query);
  return parsed ? address_reply(*parsed, address, ttl_seconds) : std::vector<uint8_t>{};
}

std::vector<uint8_t> address_reply(const ldns_pkt& query, std::optional<Ipv4> address, uint32_t ttl_seconds) {
  if (ldns_pkt_qdcount(&query) != 1) return {};
  PacketPtr reply = response_to(query, Rcode::kNoError);
  if (!reply) return {};
  ldns_pkt_set_aa(reply.get(), true);
  if (address) {
    RrPtr record = a_record(*ldns_rr_list_rr(ldns_pkt_question(&query), 0), *address, ttl_seconds);
    if (!record || !ldns_pkt_push_rr(reply.get(), LDNS_SECTION_ANSWER, record.get())) return {};
    record.release();
  }
  return to_wire(*reply);
}

std::optional<Rcode> rcode_of_reply(std::span<const uint8_t> reply, std::span<const uint8_t> query) {
  PacketPtr answer = parse_packet(reply);
  PacketPtr asked = parse_packet(query);
  if (!answer || !asked || !ldns_pkt_qr(answer.get()) || ldns_pkt_id(answer.get()) != ldns_pkt_id(asked.get())) {
    return std::nullopt;
  }
  if (ldns_pkt_qdcount(answer.get()) != 1 || ldns_pkt_qdcount(asked.get()) != 1) return std::nullopt;
  const ldns_rr* got = ldns_rr_list_rr(ldns_pkt_question(answer.get()), 0);
  const ldns_rr* sent = ldns_rr_list_rr(ldns_pkt_question(asked.get()), 0);
  if (ldns_rr_get_type(got) != ldns_rr_get_type(sent) || ldns_rr_get_class(got) != ldns_rr_get_class(sent) ||
      ldns_dname_compare(ldns_rr_owner(got), ldns_rr_owner(sent)) != 0) {
    return std::nullopt;
  }
  return static_cast<Rcode>(ldns_pkt_get_rcode(answer.get()));
}

uint16_t message_id(std::span<const uint8_t> message) {
  assert(message.size() >= kHeaderSize);
  return LDNS_ID_WIRE(message.data());
}

void set_message_id(std::span<uint8_t> message, uint16_t id) {
  assert(message.size() >= kHeaderSize);
  LDNS_ID_SET(message.data(), id);
}

}  // namespace vx::agent::dns
