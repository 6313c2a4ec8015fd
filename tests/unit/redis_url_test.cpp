#include <gtest/gtest.h>

#include "common/http_client.h"
#include "ipam/redis/url.h"

namespace vx::ipam {
namespace {

TEST(RedisUrl, HostPortPasswordDb) {
  auto full = parse_redis_url("redis://:s3cret@10.0.1.100:6380/2");
  ASSERT_TRUE(full);
  EXPECT_EQ(full->host, "10.0.1.100");
  EXPECT_EQ(full->port, 6380);
  EXPECT_EQ(full->password, "s3cret");
  EXPECT_EQ(full->db, 2);
  EXPECT_EQ(full->to_string(), "10.0.1.100:6380/2");  // never the password

  auto plain = parse_redis_url("redis://localhost");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->port, 6379);
  EXPECT_EQ(plain->db, 0);
  EXPECT_TRUE(plain->password.empty());
}

TEST(RedisUrl, Rejects) {
  for (const char* text : {"", "localhost:6379", "http://localhost", "redis://", "redis://h:0",
                           "redis://h:6379/x", "redis://h/-1"}) {
    auto url = parse_redis_url(text);
    ASSERT_FALSE(url) << text;
    EXPECT_EQ(url.error().code, "invalid_redis_url");
  }
}

TEST(HttpUrl, HostAndPort) {
  auto url = parse_http_url("http://10.0.1.100:8000");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->host, "10.0.1.100");
  EXPECT_EQ(url->port, 8000);
  EXPECT_EQ(parse_http_url("http://ipam/")->port, 80);
  for (const char* text : {"10.0.1.100:8000", "https://ipam", "http://ipam/x", "http://ipam?q", "http://"}) {
    EXPECT_FALSE(parse_http_url(text)) << text;
  }
}

}  // namespace
}  // namespace vx::ipam
