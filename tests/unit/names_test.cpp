#include <gtest/gtest.h>

#include "proto/names.h"

namespace vx::proto {
namespace {

TEST(ContainerName, AcceptsDockerNames) {
  for (const char* name : {"ab", "test1", "web_1", "web.1", "web-1", "9lives", "A.b-C_d"}) {
    EXPECT_TRUE(validate_container_name(name)) << name;
  }
  EXPECT_TRUE(validate_container_name(std::string(128, 'x')));
}

TEST(ContainerName, RejectsWhatDockerRejects) {
  for (const char* name : {"", "a", "7", "_a", ".a", "-a", "a b", "a/b", "a:b", "ä", "a\n", "a$"}) {
    auto status = validate_container_name(name);
    ASSERT_FALSE(status) << name;
    EXPECT_EQ(status.error().code, "invalid_name");
  }
  auto too_long = validate_container_name(std::string(129, 'x'));
  ASSERT_FALSE(too_long);
  EXPECT_NE(too_long.error().detail.find("longer than 128"), std::string::npos);
}

TEST(HostId, SameAlphabetShorterLimit) {
  EXPECT_TRUE(validate_host_id("host-1.example"));
  EXPECT_EQ(validate_host_id("").error().code, "invalid_host_id");
  EXPECT_FALSE(validate_host_id(std::string(65, 'h')));
  EXPECT_FALSE(validate_host_id("host 1"));
}

}  // namespace
}  // namespace vx::proto

#include "common/mac.h"

namespace vx::proto {
namespace {

TEST(Mac, ParsesAndLowersCase) {
  EXPECT_EQ(*parse_mac("02:42:AC:14:00:05"), "02:42:ac:14:00:05");
  for (const char* text : {"", "02:42:ac:14:00", "02-42-ac-14-00-05", "02:42:ac:14:00:0g", "02:42:ac:14:00:051"}) {
    auto mac = parse_mac(text);
    ASSERT_FALSE(mac) << text;
    EXPECT_EQ(mac.error().code, "invalid_mac");
  }
}

}  // namespace
}  // namespace vx::proto
