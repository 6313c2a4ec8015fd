#include "agent/dns/answer.h"

#include "agent/dns/message_ldns.h"

namespace vx::agent::dns {

namespace {

// The owner name in presentation form ("Web." or "\046x."), lowercased, final dot dropped: the
// root name becomes "".
std::string lookup_name(const ldns_rr& question) {
  TextPtr text(ldns_rdf2str(ldns_rr_owner(&question)));
  if (!text) return {};
  std::string name(text.get());
  if (!name.empty() && name.back() == '.') name.pop_back();
  for (char& c : name) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return name;
}

template <typename Query>  // bytes, or the packet ldns read from them
Decision refused(const Query& query, Rcode rcode) {
  std::vector<uint8_t> reply = error_reply(query, rcode);
  Outcome outcome = reply.empty() ? Outcome::kDropped : Outcome::kRefused;
  return Decision{outcome, std::move(reply), {}, 0};
}

// A name the cluster places in this network: its address for A (and ANY, which asks for every
// type), no record for any other type or class, and nothing forwarded either way.
void answer_known(Decision& decision, const ldns_pkt& query, const ldns_rr& question, Ipv4 address,
                  const AnswerOptions& options) {
  ldns_rr_type type = ldns_rr_get_type(&question);
  bool wants_a = ldns_rr_get_class(&question) == LDNS_RR_CLASS_IN &&
                 (type == LDNS_RR_TYPE_A || type == LDNS_RR_TYPE_ANY);
  decision.reply = address_reply(query, wants_a ? std::optional(address) : std::nullopt, options.ttl_seconds);
  decision.outcome = wants_a ? Outcome::kAnswered : Outcome::kNoData;
}

}  // namespace

Decision decide(std::span<const uint8_t> query, std::string_view network, const Lookup& lookup,
                const AnswerOptions& options) {
  // A response sent to us is dropped unanswered: answering it could start a loop between two
  // servers, each taking the other's answers for queries.
  if (query.size() < kHeaderSize || LDNS_QR_WIRE(query.data()) != 0) return {};
  PacketPtr packet = parse_packet(query);
  if (!packet) return refused(query, Rcode::kFormErr);
  if (ldns_pkt_get_opcode(packet.get()) != LDNS_PACKET_QUERY) return refused(*packet, Rcode::kNotImp);
  if (ldns_pkt_qdcount(packet.get()) != 1) return refused(*packet, Rcode::kFormErr);

  const ldns_rr& question = *ldns_rr_list_rr(ldns_pkt_question(packet.get()), 0);
  Decision decision;
  decision.name = lookup_name(question);
  decision.type = static_cast<uint16_t>(ldns_rr_get_type(&question));
  NameAnswer known = decision.name.empty() ? NameAnswer{} : lookup(network, decision.name);
  switch (known.kind) {
    case NameAnswer::Kind::kAddress:
      answer_known(decision, *packet, question, known.address, options);
      break;
    case NameAnswer::Kind::kOtherNetwork:
      decision.reply = error_reply(*packet, Rcode::kNxDomain);
      decision.outcome = Outcome::kNxDomain;
      break;
    case NameAnswer::Kind::kUnknown:
      decision.outcome = Outcome::kForward;
      break;
  }
  // ldns read the query but could not write our reply to it: nothing sensible to send.
  if (decision.outcome != Outcome::kForward && decision.reply.empty()) decision.outcome = Outcome::kDropped;
  return decision;
}

const char* outcome_name(Outcome outcome) {
  switch (outcome) {
    case Outcome::kAnswered: return "answered";
    case Outcome::kNoData: return "nodata";
    case Outcome::kNxDomain: return "nxdomain";
    case Outcome::kForward: return "forward";
    case Outcome::kRefused: return "refused";
    case Outcome::kDropped: return "dropped";
  }
  return "?";
}

}  // namespace vx::agent::dns
