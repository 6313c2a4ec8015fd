// The answer logic without sockets: cluster names answered from the lookup (A, NODATA for other
// types, NXDOMAIN for another network's), everything else left to the upstreams, and the queries
// that are refused or dropped. Queries are built and replies read with libldns.
#include "agent/dns/answer.h"

#include <gtest/gtest.h>

#include <map>

#include "dns_messages.h"

namespace vx::agent::dns {
namespace {

using testing::query_for;
using testing::read_reply;

using testing::kWeb;

// "web" and "my.app" in network "blue", "db" in "green"; records what it was asked.
struct FakeCluster {
  NameAnswer operator()(std::string_view network, std::string_view name) {
    asked.emplace_back(network, name);
    static const std::map<std::string, std::string, std::less<>> kHomes{{"web", "blue"}, {"my.app", "blue"}, {"db", "green"}};
    auto home = kHomes.find(name);
    if (home == kHomes.end()) return {};
    if (home->second != network) return {NameAnswer::Kind::kOtherNetwork, {}};
    return {NameAnswer::Kind::kAddress, kWeb};
  }
  std::vector<std::pair<std::string, std::string>> asked;
};

struct AnswerTest : ::testing::Test {
  Decision ask(const std::vector<uint8_t>& query, std::string_view network = "blue") {
    return decide(query, network, std::ref(cluster));
  }
  FakeCluster cluster;
};

TEST_F(AnswerTest, ClusterNameGetsOneShortLivedARecord) {
  Decision decision = ask(query_for("web", LDNS_RR_TYPE_A, 0x1234));
  EXPECT_EQ(decision.outcome, Outcome::kAnswered);
  EXPECT_EQ(decision.name, "web");
  EXPECT_EQ(decision.type, LDNS_RR_TYPE_A);
  auto reply = read_reply(decision.reply);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->id, 0x1234);
  EXPECT_TRUE(reply->qr);
  EXPECT_TRUE(reply->aa);
  EXPECT_TRUE(reply->rd);
  EXPECT_EQ(reply->rcode, LDNS_RCODE_NOERROR);
  EXPECT_EQ(reply->question, "web.");
  EXPECT_EQ(reply->addresses, std::vector<std::string>{"172.20.0.5"});
  EXPECT_EQ(reply->ttls, std::vector<uint32_t>{1});
}

TEST_F(AnswerTest, NameIsLookedUpLowercasedWithoutItsDotAndEchoedAsAsked) {
  Decision decision = ask(query_for("WeB."));
  EXPECT_EQ(decision.outcome, Outcome::kAnswered);
  ASSERT_EQ(cluster.asked.size(), 1u);
  EXPECT_EQ(cluster.asked[0].first, "blue");
  EXPECT_EQ(cluster.asked[0].second, "web");
  // Resolvers that randomise the case of their questions (0x20) check that it comes back.
  EXPECT_EQ(read_reply(decision.reply)->question, "WeB.");
}

TEST_F(AnswerTest, DottedClusterNameIsAnsweredWhenTheLookupKnowsIt) {
  EXPECT_EQ(ask(query_for("my.app")).outcome, Outcome::kAnswered);
  EXPECT_EQ(ask(query_for("web.example.com")).outcome, Outcome::kForward);
}

TEST_F(AnswerTest, OtherTypesOfAClusterNameAreNoDataNeverForwarded) {
  for (ldns_rr_type type : {LDNS_RR_TYPE_AAAA, LDNS_RR_TYPE_MX, LDNS_RR_TYPE_TXT, LDNS_RR_TYPE_SRV}) {
    Decision decision = ask(query_for("web", type));
    EXPECT_EQ(decision.outcome, Outcome::kNoData) << type;
    auto reply = read_reply(decision.reply);
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->rcode, LDNS_RCODE_NOERROR);
    EXPECT_EQ(reply->answers, 0u);
    EXPECT_TRUE(reply->aa);
  }
}

TEST_F(AnswerTest, AnyOfAClusterNameGetsItsAddress) {
  Decision decision = ask(query_for("web", LDNS_RR_TYPE_ANY));
  EXPECT_EQ(decision.outcome, Outcome::kAnswered);
  EXPECT_EQ(read_reply(decision.reply)->addresses, std::vector<std::string>{"172.20.0.5"});
}

TEST_F(AnswerTest, AnotherNetworksNameIsNxDomainNeverForwarded) {
  Decision decision = ask(query_for("db", LDNS_RR_TYPE_A, 7));
  EXPECT_EQ(decision.outcome, Outcome::kNxDomain);
  auto reply = read_reply(decision.reply);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->id, 7);
  EXPECT_EQ(reply->rcode, LDNS_RCODE_NXDOMAIN);
  EXPECT_EQ(reply->answers, 0u);
  EXPECT_EQ(ask(query_for("db", LDNS_RR_TYPE_AAAA)).outcome, Outcome::kNxDomain);
  EXPECT_EQ(ask(query_for("db"), "green").outcome, Outcome::kAnswered);
}

TEST_F(AnswerTest, UnknownNamesAndTheRootAreForUpstreams) {
  Decision decision = ask(query_for("example.com"));
  EXPECT_EQ(decision.outcome, Outcome::kForward);
  EXPECT_TRUE(decision.reply.empty());
  EXPECT_EQ(decision.name, "example.com");
  EXPECT_EQ(ask(query_for(".", LDNS_RR_TYPE_NS)).outcome, Outcome::kForward);
  // The root name is never a container's: the lookup is not asked.
  EXPECT_EQ(cluster.asked.size(), 1u);
}

TEST_F(AnswerTest, EdnsQueryGetsAnOptRecordBack) {
  auto reply = read_reply(ask(query_for("web", LDNS_RR_TYPE_A, 1, true)).reply);
  ASSERT_TRUE(reply);
  EXPECT_TRUE(reply->edns);
  EXPECT_FALSE(read_reply(ask(query_for("web")).reply)->edns);
}

TEST_F(AnswerTest, ResponsesAndRuntsAreDroppedUnanswered) {
  std::vector<uint8_t> response = testing::upstream_reply(query_for("web"), kWeb);
  EXPECT_EQ(ask(response).outcome, Outcome::kDropped);
  EXPECT_TRUE(ask(response).reply.empty());
  EXPECT_EQ(ask({}).outcome, Outcome::kDropped);
  EXPECT_EQ(ask({0x12, 0x34, 0x01}).outcome, Outcome::kDropped);
  EXPECT_TRUE(cluster.asked.empty());
}

TEST_F(AnswerTest, UnreadableQueryIsFormErrWithItsId) {
  std::vector<uint8_t> query = query_for("web", LDNS_RR_TYPE_A, 0xbeef);
  query.resize(query.size() - 3);  // the question cut short
  Decision decision = ask(query);
  EXPECT_EQ(decision.outcome, Outcome::kRefused);
  auto reply = read_reply(decision.reply);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->id, 0xbeef);
  EXPECT_TRUE(reply->qr);
  EXPECT_EQ(reply->rcode, LDNS_RCODE_FORMERR);
}

TEST_F(AnswerTest, QueryWithoutOneQuestionIsFormErr) {
  PacketPtr none(ldns_pkt_new());
  ldns_pkt_set_id(none.get(), 9);
  Decision decision = ask(to_wire(*none));
  EXPECT_EQ(decision.outcome, Outcome::kRefused);
  EXPECT_EQ(read_reply(decision.reply)->rcode, LDNS_RCODE_FORMERR);

  PacketPtr two = parse_packet(query_for("web"));
  ldns_pkt_push_rr(two.get(), LDNS_SECTION_QUESTION,
                   ldns_rr_clone(ldns_rr_list_rr(ldns_pkt_question(two.get()), 0)));
  decision = ask(to_wire(*two));
  EXPECT_EQ(decision.outcome, Outcome::kRefused);
  EXPECT_EQ(read_reply(decision.reply)->rcode, LDNS_RCODE_FORMERR);
  EXPECT_TRUE(cluster.asked.empty());
}

TEST_F(AnswerTest, OtherOpcodesAreNotImplemented) {
  PacketPtr notify = parse_packet(query_for("web"));
  ldns_pkt_set_opcode(notify.get(), LDNS_PACKET_NOTIFY);
  Decision decision = ask(to_wire(*notify));
  EXPECT_EQ(decision.outcome, Outcome::kRefused);
  auto reply = read_reply(decision.reply);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->rcode, LDNS_RCODE_NOTIMPL);
  EXPECT_TRUE(cluster.asked.empty());
}

}  // namespace
}  // namespace vx::agent::dns
