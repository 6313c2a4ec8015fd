// A cluster with a token: the IPAM refuses every request without it but the health checks, and
// the agent's IPAM client sends it.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <fstream>

#include "ipam/client/http_ipam_client.h"
#include "common/run_blocking.h"
#include "support/ipam_daemon.h"
#include "support/redis_server.h"

namespace vx::test {
namespace {

std::string write_file(const std::string& path, const std::string& text) {
  std::ofstream(path) << text << "\n";
  return path;
}

class IpamWithToken : public ::testing::Test {
 protected:
  const std::string token_ = "cluster-secret-1";
  TempDir dir_;
  std::string token_file_ = write_file(dir_.path() + "/token", token_);  // before the IPAM starts
  RedisServer redis_;
  IpamDaemon ipam_{redis_.url(), {"--token-file", token_file_}};
};

TEST_F(IpamWithToken, RefusesCallersWithoutTheToken) {
  const std::string body = R"({"container_name":"ca","host_id":"host1"})";
  auto anonymous = ipam_.post("/allocate", body);
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(anonymous.body.at("error"), "unauthorized");
  EXPECT_EQ(http_json(ipam_.port(), "POST", "/allocate", body, "wrong-secret").status, 401);
  EXPECT_EQ(http_json(ipam_.port(), "GET", "/containers", "", "").status, 401);
  EXPECT_EQ(redis_.client().integer({"SCARD", "allocated_ips"}), 0);  // nothing changed

  EXPECT_EQ(ipam_.get("/health").status, 200);  // monitors need no token
  EXPECT_EQ(http_json(ipam_.port(), "POST", "/allocate", body, token_).status, 200);
  EXPECT_EQ(http_json(ipam_.port(), "GET", "/containers", "", token_).status, 200);
}

TEST_F(IpamWithToken, TheAgentsClientSendsIt) {
  boost::asio::io_context io;
  ipam::HttpIpamClient client(io.get_executor(), {{HttpEndpoint{"127.0.0.1", ipam_.port()}}, std::chrono::seconds(5), token_, ""});
  auto reserved = run_blocking(io, client.allocate({"web", "host1", std::nullopt}));
  ASSERT_TRUE(reserved) << reserved.error().detail;
  EXPECT_TRUE(reserved->created);

  ipam::HttpIpamClient stranger(io.get_executor(), {{HttpEndpoint{"127.0.0.1", ipam_.port()}}, std::chrono::seconds(5), "guess", ""});
  auto refused = run_blocking(io, stranger.allocate({"web2", "host1", std::nullopt}));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::kUnauthorized);
  EXPECT_EQ(refused.error().code, "unauthorized");
}

}  // namespace
}  // namespace vx::test
