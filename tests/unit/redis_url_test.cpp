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

TEST(RedisUrl, SentinelsMasterPasswordDb) {
  auto url = parse_redis_url("sentinel://:s3cret@10.0.1.1:26380,10.0.1.2,sentinel3:5000/vxlan/3");
  ASSERT_TRUE(url) << url.error().detail;
  ASSERT_TRUE(url->sentinel);
  ASSERT_EQ(url->sentinel->sentinels.size(), 3u);
  EXPECT_EQ(url->sentinel->sentinels[0].host, "10.0.1.1");
  EXPECT_EQ(url->sentinel->sentinels[0].port, 26380);
  EXPECT_EQ(url->sentinel->sentinels[1].port, kSentinelPort);
  EXPECT_EQ(url->sentinel->sentinels[2].host, "sentinel3");
  EXPECT_EQ(url->sentinel->sentinels[2].port, 5000);
  EXPECT_EQ(url->sentinel->master_name, "vxlan");
  EXPECT_EQ(url->password, "s3cret");
  EXPECT_EQ(url->db, 3);
  EXPECT_EQ(url->to_string(),
            "master vxlan (not yet resolved) of the Sentinels at 10.0.1.1:26380,10.0.1.2:26379,sentinel3:5000");

  auto one = parse_redis_url("sentinel://h/m");
  ASSERT_TRUE(one);
  EXPECT_EQ(one->db, 0);
  EXPECT_TRUE(one->password.empty());
  EXPECT_EQ(one->sentinel->sentinels.size(), 1u);
  EXPECT_FALSE(parse_redis_url("redis://h")->sentinel);
}

TEST(RedisUrl, Rejects) {
  for (const char* text : {"", "localhost:6379", "http://localhost", "redis://", "redis://h:0",
                           "redis://h:6379/x", "redis://h/-1", "sentinel://h", "sentinel://h/", "sentinel:///m",
                           "sentinel://h,/m", "sentinel://,h/m", "sentinel://h:0/m", "sentinel://h/m/x",
                           "sentinel://h/m/-2", "sentinel://h:x/m", "sentinel://h/m?x", "Sentinel://h/m"}) {
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
  // The last three, found by fuzz/urls, failed an assertion in Boost.URL 1.81 (a Debug build aborted).
  for (const char* text : {"10.0.1.100:8000", "https://ipam", "http://ipam/x", "http://ipam?q", "http://", "A:\\",
                           "http:\\", "hhtttp:\xfe"}) {
    EXPECT_FALSE(parse_http_url(text)) << text;
  }
}

TEST(HttpUrls, ReplicasCommaSeparated) {
  auto replicas = parse_http_urls("http://a:8000,http://b");
  ASSERT_TRUE(replicas);
  ASSERT_EQ(replicas->size(), 2u);
  EXPECT_EQ((*replicas)[0].to_string(), "a:8000");
  EXPECT_EQ((*replicas)[1].to_string(), "b:80");
  EXPECT_EQ(parse_http_urls("http://a")->size(), 1u);
  for (const char* text : {"", ",", "http://a,", ",http://a", "http://a,,http://b", "http://a, http://b"}) {
    EXPECT_FALSE(parse_http_urls(text)) << "'" << text << "'";
  }
}

}  // namespace
}  // namespace vx::ipam
