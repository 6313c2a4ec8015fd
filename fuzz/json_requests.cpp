// Feeds the input to one of proto/'s JSON decoders (requests and answers, the CNI plugin's
// configuration, Docker's IPAM plugin calls) or ipam::parse_allocate:
// the first byte picks which ('a' the first), the rest is the body. Checks that a failure blames
// the right side (kBadInput, kInternal "bad_answer") and that what decodes re-encodes to itself.
#include <boost/json.hpp>
#include <iterator>
#include <vector>

#include "check.h"
#include "ipam/pool.h"
#include "ipam/requests.h"
#include "proto/agent.h"
#include "proto/cni.h"
#include "proto/docker_plugin.h"
#include "proto/ipam.h"
#include "proto/peers.h"

namespace vx::fuzz {
namespace {

namespace json = boost::json;

// By argument-dependent lookup: the CNI's codecs are in proto::cni.
json::value encode(const auto& value) {
  using proto::to_json;
  return to_json(value);
}

template <typename T>
json::value encode(const std::vector<T>& values) {
  json::array out;
  for (const auto& value : values) out.push_back(encode(value));
  return out;
}

// As the IPAM sends it (view/cluster_view.cpp): a snapshot, or the changes after a revision.
json::value encode(const proto::Update& update) {
  if (update.full) {
    json::object out = proto::to_json(update.snapshot);
    if (update.reset) out["reset"] = true;
    return out;
  }
  return json::object{{"revision", update.revision}, {"changes", encode(update.changes)}};
}

bool same(const auto& a, const auto& b) { return encode(a) == encode(b); }

// to_json rounds round-trip times to the microsecond, and a time beyond double's range has no JSON
// form: the times are compared by count only.
bool same(const proto::PingReport& a, const proto::PingReport& b) {
  json::object left = encode(a).as_object(), right = encode(b).as_object();
  for (auto* side : {&left, &right}) {
    side->erase("rtt_ms");
    side->erase("avg_rtt_ms");
  }
  return left == right && a.rtt_ms.size() == b.rtt_ms.size();
}

template <auto Parse>
void request(std::string_view body) {
  auto parsed = Parse(body);
  check_error(parsed);
  if (!parsed) {
    check(parsed.error().kind == ErrorKind::kBadInput, "a request that fails to decode is the caller's fault");
    return;
  }
  auto again = Parse(json::serialize(encode(*parsed)));
  check(again && same(*again, *parsed), "a decoded request encodes to itself");
}

template <auto Parse>
void answer(std::string_view body) {
  boost::system::error_code ec;
  json::value value = json::parse(body, ec);
  if (ec) return;  // answers reach the decoders as JSON already (common/json_answer.h)
  auto parsed = Parse(value);
  check_error(parsed);
  if (!parsed) {
    check(parsed.error().kind == ErrorKind::kInternal && parsed.error().code == "bad_answer",
          "an answer that fails to decode is the daemon's fault");
    return;
  }
  auto again = Parse(encode(*parsed));
  check(again && same(*again, *parsed), "a decoded answer encodes to itself");
}

// The IPAM's own reading of an allocation: the wire's, and then the pool's.
void allocate(std::string_view body) {
  static const ipam::PoolSpec pool = *ipam::PoolSpec::make(*Cidr::parse("172.20.0.0/16"), *Ipv4::parse("172.20.0.10"),
                                                           *Ipv4::parse("172.20.3.250"), {*Ipv4::parse("172.20.0.20")});
  request<proto::parse_allocate_request>(body);
  auto parsed = ipam::parse_allocate(body, pool);
  check_error(parsed);
  if (!parsed) {
    check(parsed.error().kind == ErrorKind::kBadInput, "a refused allocation is the caller's fault");
    return;
  }
  check(proto::parse_allocate_request(body).ok(), "what the pool accepts, the wire accepts");
  if (parsed->ip_address) check(pool.check_member(*parsed->ip_address).ok(), "a wanted address is in the pool");
}

// Decoders with no encoder: what fails is the caller's fault, and nothing crashes.
template <auto Parse>
void decode_only(std::string_view body) {
  auto parsed = Parse(body);
  check_error(parsed);
  if (!parsed) check(parsed.error().kind == ErrorKind::kBadInput, "a request that fails to decode is the caller's fault");
}

void docker_release(std::string_view body) {
  for (bool with_address : {false, true}) {
    auto parsed = proto::docker::parse_release(body, with_address);
    check_error(parsed);
    if (!parsed) check(parsed.error().kind == ErrorKind::kBadInput, "a bad Release is Docker's fault");
  }
}

using Decoder = void (*)(std::string_view);
constexpr Decoder kDecoders[] = {
    allocate,                                 // a
    request<proto::parse_release_request>,    // b
    request<proto::parse_host_registration>,  // c
    request<proto::parse_endpoint_record>,    // d
    request<proto::parse_create_request>,     // e
    request<proto::parse_ping_request>,       // f
    answer<proto::parse_endpoints>,           // g
    answer<proto::parse_reservation>,         // h
    answer<proto::parse_registered>,          // i
    answer<proto::parse_host_statuses>,       // j
    answer<proto::parse_pool_stats>,          // k
    answer<proto::parse_name_check>,          // l
    answer<proto::parse_host>,                // m
    answer<proto::parse_endpoint>,            // n
    answer<proto::parse_update>,              // o
    answer<proto::parse_container>,           // p
    answer<proto::parse_containers>,          // q
    answer<proto::parse_ping_report>,         // r
    answer<proto::parse_host_removal>,        // s
    answer<proto::parse_forwarding_entries>,  // t
    request<proto::cni::parse_attach_request>,          // u
    request<proto::cni::parse_gc_request>,              // v
    answer<proto::cni::parse_attachment>,               // w
    decode_only<proto::cni::parse_net_conf>,            // x
    decode_only<proto::docker::parse_request_pool>,     // y
    decode_only<proto::docker::parse_request_address>,  // z
    docker_release,                                     // {
    request<proto::parse_rename_request>,               // |
};

}  // namespace
}  // namespace vx::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // Counted from 'a', so that a seed's first character says which decoder it is for.
  size_t choice = static_cast<uint8_t>(data[0] - 'a') % std::size(vx::fuzz::kDecoders);
  vx::fuzz::kDecoders[choice](vx::fuzz::as_text(data + 1, size - 1));
  return 0;
}
