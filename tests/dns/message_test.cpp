// The messages the server writes itself (SERVFAIL and the other errors) and its check that an
// upstream's datagram answers the query it was sent.
#include "agent/dns/message.h"

#include <gtest/gtest.h>

#include "dns_messages.h"

namespace vx::agent::dns {
namespace {

using testing::query_for;
using testing::read_reply;
using testing::upstream_reply;

constexpr Ipv4 kSomewhere{0x5db8d822};  // 93.184.216.34

TEST(DnsMessage, ServFailEchoesIdAndQuestion) {
  auto reply = read_reply(error_reply(query_for("example.com", LDNS_RR_TYPE_A, 77), Rcode::kServFail));
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->id, 77);
  EXPECT_TRUE(reply->qr);
  EXPECT_TRUE(reply->rd);
  EXPECT_FALSE(reply->aa);
  EXPECT_EQ(reply->rcode, LDNS_RCODE_SERVFAIL);
  EXPECT_EQ(reply->question, "example.com.");
}

TEST(DnsMessage, ErrorReplyToUnreadableBytesIsABareHeaderOrNothing) {
  std::vector<uint8_t> header(kHeaderSize, 0xff);
  header[0] = 0xab;
  header[1] = 0xcd;
  auto reply = read_reply(error_reply(header, Rcode::kFormErr));
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->id, 0xabcd);
  EXPECT_EQ(reply->rcode, LDNS_RCODE_FORMERR);
  EXPECT_TRUE(reply->question.empty());
  EXPECT_TRUE(error_reply(std::vector<uint8_t>(5, 0), Rcode::kFormErr).empty());
}

TEST(DnsMessage, AnUpstreamReplyIsRecognisedByIdAndQuestion) {
  std::vector<uint8_t> query = query_for("example.com", LDNS_RR_TYPE_A, 5);
  EXPECT_EQ(rcode_of_reply(upstream_reply(query, kSomewhere), query), Rcode::kNoError);
  EXPECT_EQ(rcode_of_reply(upstream_reply(query, kSomewhere, LDNS_RCODE_SERVFAIL), query), Rcode::kServFail);
  // Case apart, as a resolver may answer.
  EXPECT_EQ(rcode_of_reply(upstream_reply(query_for("EXAMPLE.com", LDNS_RR_TYPE_A, 5), kSomewhere), query),
            Rcode::kNoError);
}

TEST(DnsMessage, OtherDatagramsAreNotTakenForTheReply) {
  std::vector<uint8_t> query = query_for("example.com", LDNS_RR_TYPE_A, 5);
  EXPECT_FALSE(rcode_of_reply(upstream_reply(query_for("example.com", LDNS_RR_TYPE_A, 6), kSomewhere), query));
  EXPECT_FALSE(rcode_of_reply(upstream_reply(query_for("example.org", LDNS_RR_TYPE_A, 5), kSomewhere), query));
  EXPECT_FALSE(rcode_of_reply(upstream_reply(query_for("example.com", LDNS_RR_TYPE_AAAA, 5), kSomewhere), query));
  EXPECT_FALSE(rcode_of_reply(query, query));  // not a response
  EXPECT_FALSE(rcode_of_reply({}, query));
  std::vector<uint8_t> cut = upstream_reply(query, kSomewhere);
  cut.resize(cut.size() - 2);
  EXPECT_FALSE(rcode_of_reply(cut, query));
}

TEST(DnsMessage, IdIsReadAndRewritten) {
  std::vector<uint8_t> query = query_for("web", LDNS_RR_TYPE_A, 0x0102);
  EXPECT_EQ(message_id(query), 0x0102);
  set_message_id(query, 0xfffe);
  EXPECT_EQ(read_reply(query)->id, 0xfffe);
  EXPECT_EQ(read_reply(query)->question, "web.");
}

}  // namespace
}  // namespace vx::agent::dns
