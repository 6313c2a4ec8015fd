// The ldns wrapper leaves C++ alone: once it is included, `bool`, `true` and `false` are still the
// language's (tests/dns/CMakeLists.txt compiles this file with -Werror, so a warning from the
// ldns headers fails the build), and the handles round-trip a message.
#include "agent/dns/ldns_handles.h"

#include <gtest/gtest.h>

#include <type_traits>

#if defined(bool) || defined(true) || defined(false)
#error "ldns_handles.h leaves bool, true or false defined as macros"
#endif

namespace vx::agent::dns {
namespace {

static_assert(std::is_same_v<decltype(true), bool>);
static_assert(std::is_same_v<decltype(false), bool>);

TEST(LdnsHandles, MessageRoundTripsThroughTheWireFormat) {
  ldns_pkt* raw = nullptr;
  ASSERT_EQ(ldns_pkt_query_new_frm_str(&raw, "web.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, LDNS_RD), LDNS_STATUS_OK);
  PacketPtr query(raw);
  std::vector<uint8_t> wire = to_wire(*query);
  ASSERT_FALSE(wire.empty());
  PacketPtr again = parse_packet(wire);
  ASSERT_TRUE(again);
  EXPECT_EQ(ldns_pkt_qdcount(again.get()), 1);
  EXPECT_EQ(to_wire(*again), wire);
}

TEST(LdnsHandles, UnreadableBytesAreNull) {
  EXPECT_FALSE(parse_packet({}));
  std::vector<uint8_t> header_only_claims_a_question(12, 0);
  header_only_claims_a_question[5] = 1;
  EXPECT_FALSE(parse_packet(header_only_claims_a_question));
}

}  // namespace
}  // namespace vx::agent::dns
