// Feeds the input, as a datagram from a container, to the name server's answer logic
// (src/agent/dns/answer.h) with a lookup that knows some names in this network and some in
// another, and to the SERVFAIL writer and the upstream reply check. Checks that every reply ldns
// can read back is a response with the query's id, that only readable single-question queries
// are forwarded, that a cluster answer keeps the question, and that the lookup is asked only
// with a lowercased, non-empty name.
#include <string_view>

#include "agent/dns/answer.h"
#include "agent/dns/ldns_handles.h"
#include "agent/dns/message.h"
#include "check.h"

namespace vx::fuzz {
namespace {

using agent::dns::NameAnswer;
using agent::dns::Outcome;
using agent::dns::Rcode;

NameAnswer lookup(std::string_view network, std::string_view name) {
  check(network == "blue", "the lookup is asked for the network the query came to");
  check(!name.empty(), "the lookup is never asked for the root");
  for (char c : name) check(c < 'A' || c > 'Z', "the lookup is asked in lower case");
  if (name[0] == 'a') return {NameAnswer::Kind::kAddress, Ipv4(0x0a000001)};
  if (name[0] == 'o') return {NameAnswer::Kind::kOtherNetwork, {}};
  return {};
}

// A reply we wrote: a response ldns reads back, with the query's id.
void check_reply(std::span<const uint8_t> reply, std::span<const uint8_t> query) {
  agent::dns::PacketPtr packet = agent::dns::parse_packet(reply);
  check(packet != nullptr, "every reply reads back");
  check(ldns_pkt_qr(packet.get()), "every reply is a response");
  check(ldns_pkt_id(packet.get()) == agent::dns::message_id(query), "every reply carries the query's id");
}

void answer(std::span<const uint8_t> query) {
  agent::dns::Decision decision = agent::dns::decide(query, "blue", lookup);
  bool answerable = query.size() >= agent::dns::kHeaderSize;
  if (decision.outcome == Outcome::kForward || decision.outcome == Outcome::kDropped) {
    check(decision.reply.empty(), "nothing is sent back for a forward or a drop");
  } else {
    check(answerable && !decision.reply.empty(), "an answer is sent back");
    check_reply(decision.reply, query);
  }
  if (decision.outcome == Outcome::kForward) {
    agent::dns::PacketPtr packet = agent::dns::parse_packet(query);
    check(packet && !ldns_pkt_qr(packet.get()) && ldns_pkt_get_opcode(packet.get()) == LDNS_PACKET_QUERY &&
              ldns_pkt_qdcount(packet.get()) == 1,
          "only a readable query with one question is forwarded");
  }
  if (decision.outcome == Outcome::kAnswered || decision.outcome == Outcome::kNoData) {
    check(agent::dns::rcode_of_reply(decision.reply, query) == Rcode::kNoError, "a cluster answer keeps the question");
  }
  if (decision.outcome == Outcome::kNxDomain) {
    check(agent::dns::rcode_of_reply(decision.reply, query) == Rcode::kNxDomain, "NXDOMAIN keeps the question");
  }
}

void servfail(std::span<const uint8_t> query) {
  std::vector<uint8_t> reply = agent::dns::error_reply(query, Rcode::kServFail);
  if (query.size() < agent::dns::kHeaderSize) {
    check(reply.empty(), "no reply to fewer bytes than a header");
    return;
  }
  if (!reply.empty()) check_reply(reply, query);
}

}  // namespace
}  // namespace vx::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> bytes(data, size);
  vx::fuzz::answer(bytes);
  vx::fuzz::servfail(bytes);
  // An upstream datagram taken for the reply to itself: only a response can be.
  if (vx::agent::dns::rcode_of_reply(bytes, bytes)) {
    vx::fuzz::check(size >= 12 && (data[2] & 0x80) != 0, "only a response is taken for a reply");
  }
  return 0;
}
