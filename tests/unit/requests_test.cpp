#include <gtest/gtest.h>

#include "ipam/requests.h"

namespace vx::ipam {
namespace {

PoolSpec pool() {
  return *PoolSpec::make(*Cidr::parse("172.20.0.0/16"), std::nullopt, std::nullopt,
                         {*Ipv4::parse("172.20.0.1")});
}

std::string code_of(const Result<AllocateRequest>& result) { return result ? "" : result.error().code; }

TEST(AllocateRequest, ParsesTheSeedShape) {
  auto request = parse_allocate(R"({"container_name":"test1","host_id":"host1"})", pool());
  ASSERT_TRUE(request);
  EXPECT_EQ(request->container_name, "test1");
  EXPECT_EQ(request->host_id, "host1");
  EXPECT_FALSE(request->ip_address);
  auto exact = parse_allocate(R"({"container_name":"ct","host_id":"h","ip_address":"172.20.9.9"})", pool());
  ASSERT_TRUE(exact);
  EXPECT_EQ(exact->ip_address->to_string(), "172.20.9.9");
  EXPECT_TRUE(parse_allocate(R"({"container_name":"ct","host_id":"h","ip_address":null})", pool()));
}

TEST(AllocateRequest, EachFaultHasItsCode) {
  auto p = pool();
  EXPECT_EQ(code_of(parse_allocate("", p)), "invalid_json");
  EXPECT_EQ(code_of(parse_allocate("{", p)), "invalid_json");
  EXPECT_EQ(code_of(parse_allocate("[1]", p)), "invalid_json");
  EXPECT_EQ(code_of(parse_allocate(R"({"host_id":"h"})", p)), "missing_field");
  EXPECT_EQ(code_of(parse_allocate(R"({"container_name":"ct"})", p)), "missing_field");
  EXPECT_EQ(code_of(parse_allocate(R"({"container_name":5,"host_id":"h"})", p)), "wrong_type");
  EXPECT_EQ(code_of(parse_allocate(R"({"container_name":"ct","host_id":["h"]})", p)), "wrong_type");
  EXPECT_EQ(code_of(parse_allocate(R"({"container_name":"-t","host_id":"h"})", p)), "invalid_name");
  EXPECT_EQ(code_of(parse_allocate(R"({"container_name":"ct","host_id":"h h"})", p)), "invalid_host_id");
  EXPECT_EQ(code_of(parse_allocate(R"({"container_name":"ct","host_id":"h","ip_address":"x"})", p)), "invalid_ip");
  EXPECT_EQ(code_of(parse_allocate(R"({"container_name":"ct","host_id":"h","ip_address":"10.0.0.1"})", p)),
            "ip_outside_pool");
  EXPECT_EQ(code_of(parse_allocate(R"({"container_name":"ct","host_id":"h","ip_address":"172.20.255.255"})", p)),
            "ip_outside_pool");
  EXPECT_EQ(code_of(parse_allocate(R"({"container_name":"ct","host_id":"h","ip_address":"172.20.0.1"})", p)),
            "ip_reserved");
  EXPECT_EQ(code_of(parse_allocate(R"({"container_name":"ct","host_id":"h","ip_address":7})", p)), "wrong_type");
}

TEST(ReleaseRequest, HostIsOptional) {
  auto any = proto::parse_release_request(R"({"container_name":"ct"})");
  ASSERT_TRUE(any);
  EXPECT_EQ(any->host_id, "");
  EXPECT_EQ(proto::parse_release_request(R"({"container_name":"ct","host_id":"h1"})")->host_id, "h1");
  EXPECT_EQ(proto::parse_release_request("{}").error().code, "missing_field");
  EXPECT_EQ(proto::parse_release_request(R"({"container_name":"a b"})").error().code, "invalid_name");
  EXPECT_EQ(proto::parse_release_request(R"({"container_name":"ct","host_id":1})").error().code, "wrong_type");
}

}  // namespace
}  // namespace vx::ipam
