// The IPAM API's wire (proto/ipam.h): what one end encodes, the other decodes to the same value;
// a request that fails names its field and is the caller's fault; an answer that fails is the
// daemon's.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "proto/agent.h"
#include "proto/cni.h"
#include "proto/ipam.h"

namespace vx::proto {
namespace {

namespace json = boost::json;

std::string text(const json::object& object) { return json::serialize(object); }

TEST(IpamWire, RequestsDecodeToWhatWasEncoded) {
  AllocateRequest allocate{"web", "host1", *Ipv4::parse("172.20.0.9")};
  auto decoded = parse_allocate_request(text(to_json(allocate)));
  ASSERT_TRUE(decoded) << decoded.error().detail;
  EXPECT_EQ(decoded->container_name, "web");
  EXPECT_EQ(decoded->host_id, "host1");
  EXPECT_EQ(decoded->ip_address->to_string(), "172.20.0.9");

  auto release = parse_release_request(text(to_json(ReleaseRequest{"web", ""})));
  ASSERT_TRUE(release);
  EXPECT_EQ(release->host_id, "");

  auto host = parse_host_registration(text(to_json(HostRegistration{"h1", "10.0.0.1", "http://10.0.0.1:8001"})));
  ASSERT_TRUE(host);
  EXPECT_EQ(host->agent_url, "http://10.0.0.1:8001");

  auto record = parse_endpoint_record(text(to_json(EndpointRecord{"h1", "02:42:AC:14:00:02"})));
  ASSERT_TRUE(record);
  EXPECT_EQ(record->mac_address, "02:42:ac:14:00:02");  // the IPAM stores lower case
}

TEST(IpamWire, ARequestThatFailsNamesTheFieldAndIsTheCallersFault) {
  auto wrong = parse_host_registration(R"({"host_id":"h1","underlay_ip":7,"agent_url":"http://a:1"})");
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().kind, ErrorKind::kBadInput);
  EXPECT_EQ(wrong.error().code, "wrong_type");
  EXPECT_EQ(wrong.error().detail, "field 'underlay_ip' must be a string");
  auto missing = parse_endpoint_record(R"({"host_id":"h1"})");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().detail, "field 'mac_address' is required");
  EXPECT_EQ(parse_endpoint_record(R"({"host_id":"h1","mac_address":"zz"})").error().code, "invalid_mac");
  EXPECT_EQ(parse_host_registration(R"({"host_id":"h1","underlay_ip":"1.2.3.4","agent_url":"ftp://x"})").error().kind,
            ErrorKind::kBadInput);
  EXPECT_EQ(parse_allocate_request("[]").error().code, "invalid_json");
}

TEST(IpamWire, AnswersDecodeToWhatWasEncoded) {
  Endpoint web{"web", "172.20.0.2", "host1", "02:42:ac:14:00:02"};
  auto reservation = parse_reservation(to_json(Reservation{web, true}));
  ASSERT_TRUE(reservation) << reservation.error().detail;
  EXPECT_EQ(reservation->endpoint, web);
  EXPECT_TRUE(reservation->created);

  auto registered = parse_registered(to_json(Registered{{"h1", "10.0.0.1", "http://10.0.0.1:8001"}, "172.20.0.0/16"}));
  ASSERT_TRUE(registered);
  EXPECT_EQ(registered->network_subnet, "172.20.0.0/16");

  json::array hosts{to_json(HostStatus{{"h1", "10.0.0.1", "http://10.0.0.1:8001", true}, 1200, 3})};
  auto statuses = parse_host_statuses(hosts);
  ASSERT_TRUE(statuses);
  ASSERT_EQ(statuses->size(), 1u);
  EXPECT_EQ((*statuses)[0].host.host_id, "h1");
  EXPECT_TRUE((*statuses)[0].host.alive);
  EXPECT_EQ((*statuses)[0].heartbeat_age_ms, 1200u);
  EXPECT_EQ((*statuses)[0].containers, 3u);

  auto stats = parse_pool_stats(to_json(PoolStats{65534, 3, 65531, "172.20.0.0/16"}));
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->available, 65531u);

  auto free_name = parse_name_check(to_json(NameCheck{"db", std::nullopt}));
  ASSERT_TRUE(free_name);
  EXPECT_FALSE(free_name->holder);
  auto taken = parse_name_check(to_json(NameCheck{"web", web}));
  ASSERT_TRUE(taken);
  EXPECT_EQ(*taken->holder, web);

  auto listed = parse_endpoints(json::array{to_json(web)});
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->front(), web);
}

TEST(IpamWire, AnAnswerThatFailsIsTheDaemonsFault) {
  auto not_a_list = parse_endpoints(json::object{});
  ASSERT_FALSE(not_a_list);
  EXPECT_EQ(not_a_list.error().kind, ErrorKind::kInternal);
  EXPECT_EQ(not_a_list.error().code, "bad_answer");
  auto bad_entry = parse_endpoints(json::array{json::object{{"container_name", "web"}}});
  ASSERT_FALSE(bad_entry);
  EXPECT_EQ(bad_entry.error().detail, "the IPAM's answer has a \"ip_address\" that is not present");
  auto negative = parse_host_statuses(json::parse(
      R"([{"host_id":"h","underlay_ip":"1.2.3.4","agent_url":"","alive":true,"heartbeat_age_ms":-5,"containers":0}])"));
  ASSERT_FALSE(negative);
  EXPECT_EQ(negative.error().code, "bad_answer");
  EXPECT_FALSE(parse_reservation(json::parse(R"({"container_name":"a","ip_address":"b","host_id":"c"})")));
  EXPECT_FALSE(parse_name_check(json::parse(R"({"container_name":"a","exists":true})")));
}

TEST(AgentWire, WhatTheAgentAnswersVxctlReadsBack) {
  Container web{"0123abcd", "web", "172.20.0.2", "02:42:ac:14:00:02", "host1", "nginx:alpine", "running"};
  auto container = parse_container(to_json(web));
  ASSERT_TRUE(container) << container.error().detail;
  EXPECT_EQ(container->container_id, "0123abcd");
  EXPECT_EQ(container->status, "running");

  PingReport report{"web", "host1", "172.20.0.2", "db", "172.20.0.3", 5432, 3, {0.1234567, 0.2}};
  json::object encoded = to_json(report);
  EXPECT_EQ(encoded.at("method"), "tcp");
  EXPECT_EQ(encoded.at("received"), 2);
  EXPECT_EQ(encoded.at("reachable"), true);
  auto decoded = parse_ping_report(encoded);
  ASSERT_TRUE(decoded) << decoded.error().detail;
  EXPECT_EQ(decoded->port, 5432);
  EXPECT_EQ(decoded->received(), 2u);
  EXPECT_DOUBLE_EQ(decoded->rtt_ms[0], 0.123);  // to the microsecond on the wire
  EXPECT_FALSE(parse_ping_report(json::parse(
      R"({"container_name":"w","host_id":"h","source_ip":"a","target":"b","target_ip":"c","sent":1,"rtt_ms":["x"]})")));
}

TEST(CniWire, AnAttachRequestSaysWhetherToRouteByDefault) {
  cni::AttachRequest request{"/run/netns/x", "vxlan-net", "pod1", "overlay", false};
  auto decoded = cni::parse_attach_request(text(cni::to_json(request)));
  ASSERT_TRUE(decoded) << decoded.error().detail;
  EXPECT_FALSE(decoded->default_route);
  auto older = cni::parse_attach_request(R"({"netns":"/run/netns/x","name":"pod1","config":"overlay"})");
  ASSERT_TRUE(older) << older.error().detail;
  EXPECT_TRUE(older->default_route) << "a plugin from before the field routes by default";
  auto wrong = cni::parse_attach_request(R"({"netns":"/run/netns/x","name":"pod1","config":"overlay","default_route":"no"})");
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, "wrong_type");
}

TEST(AgentWire, APingRequestIsCheckedFieldByField) {
  auto request = parse_ping_request(text(to_json(PingRequest{"10.1.2.3", std::nullopt, 2, std::chrono::milliseconds(300), 80})));
  ASSERT_TRUE(request) << request.error().detail;
  EXPECT_EQ(request->target_ip->to_string(), "10.1.2.3");
  EXPECT_EQ(request->count, 2);
  EXPECT_EQ(request->port, 80);
  EXPECT_EQ(parse_ping_request(R"({"target":"db","count":11})").error().code, "invalid_count");
  EXPECT_EQ(parse_ping_request(R"({"target":"db","count":1.5})").error().code, "wrong_type");
  EXPECT_EQ(parse_ping_request(R"({"target":"db","port":9999999999999999999})").error().code, "invalid_port");
  EXPECT_EQ(parse_ping_request(R"({"target":"224.0.0.1"})").error().code, "invalid_target");
  EXPECT_EQ(parse_ping_request(R"({"target":"a b"})").error().code, "invalid_target");
  EXPECT_EQ(parse_ping_request(R"({"count":1})").error().code, "missing_field");
  EXPECT_EQ(parse_create_request(R"({"container_name":"web"})").error().detail, "field 'image' is required");
}

}  // namespace
}  // namespace vx::proto
