#include <gtest/gtest.h>

#include "ipam/pool.h"

namespace vx::ipam {
namespace {

Ipv4 ip(const char* text) { return *Ipv4::parse(text); }
Cidr cidr(const char* text) { return *Cidr::parse(text); }

TEST(PoolSpec, DefaultsToEveryHostAddress) {
  auto pool = PoolSpec::make(cidr("172.20.0.0/16"), std::nullopt, std::nullopt, {});
  ASSERT_TRUE(pool);
  EXPECT_EQ(pool->first().to_string(), "172.20.0.1");
  EXPECT_EQ(pool->last().to_string(), "172.20.255.254");
  EXPECT_EQ(pool->size(), 65534u);
}

TEST(PoolSpec, RangeAndReservations) {
  auto pool = PoolSpec::make(cidr("10.1.0.0/28"), ip("10.1.0.2"), ip("10.1.0.9"),
                             {ip("10.1.0.5"), ip("10.1.0.5"), ip("10.1.0.1"), ip("10.1.0.9")});
  ASSERT_TRUE(pool);
  EXPECT_EQ(pool->size(), 6u);                // .2 to .9 less .5 and .9; .1 lies outside the range
  EXPECT_EQ(pool->reserved().size(), 2u);
  EXPECT_TRUE(pool->check_member(ip("10.1.0.2")));
  EXPECT_EQ(pool->check_member(ip("10.1.0.5")).error().code, "ip_reserved");
  EXPECT_EQ(pool->check_member(ip("10.1.0.1")).error().code, "ip_outside_pool");
  EXPECT_EQ(pool->check_member(ip("10.1.0.15")).error().code, "ip_outside_pool");
}

TEST(PoolSpec, NeverNetworkOrBroadcast) {
  EXPECT_FALSE(PoolSpec::make(cidr("10.1.0.0/24"), ip("10.1.0.0"), std::nullopt, {}));
  EXPECT_FALSE(PoolSpec::make(cidr("10.1.0.0/24"), std::nullopt, ip("10.1.0.255"), {}));
  EXPECT_FALSE(PoolSpec::make(cidr("10.1.0.0/24"), ip("10.2.0.1"), std::nullopt, {}));
  auto tiny = PoolSpec::make(cidr("10.1.0.0/30"), std::nullopt, std::nullopt, {});
  ASSERT_TRUE(tiny);
  EXPECT_EQ(tiny->size(), 2u);
  EXPECT_FALSE(PoolSpec::make(cidr("10.1.0.0/31"), std::nullopt, std::nullopt, {}));
}

TEST(PoolSpec, RejectsNonsense) {
  EXPECT_FALSE(PoolSpec::make(cidr("10.1.0.0/24"), ip("10.1.0.9"), ip("10.1.0.2"), {}));
  EXPECT_FALSE(PoolSpec::make(cidr("10.1.0.0/24"), std::nullopt, std::nullopt, {ip("10.2.0.1")}));
  EXPECT_FALSE(PoolSpec::make(cidr("10.1.0.0/30"), std::nullopt, std::nullopt, {ip("10.1.0.1"), ip("10.1.0.2")}));
  auto huge = PoolSpec::make(cidr("10.0.0.0/8"), std::nullopt, std::nullopt, {});
  ASSERT_FALSE(huge);
  EXPECT_EQ(huge.error().code, "invalid_pool");
  EXPECT_TRUE(PoolSpec::make(cidr("10.0.0.0/12"), std::nullopt, std::nullopt, {}));
}

}  // namespace
}  // namespace vx::ipam
