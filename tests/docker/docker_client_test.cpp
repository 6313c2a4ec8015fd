// The Docker client's parsing and failure paths, which need no daemon: a socket that is not there
// fails at once, and a daemon that never answers fails at the deadline.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <filesystem>

#include "agent/docker/docker_client.h"
#include "agent/docker/docker_runtime.h"
#include "common/run_blocking.h"

namespace vx::agent {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

TEST(ParseDockerUrl, TakesTheSocketPathOfAUnixUrl) {
  auto path = parse_docker_url("unix:///var/run/docker.sock");
  ASSERT_TRUE(path) << path.error().detail;
  EXPECT_EQ(*path, "/var/run/docker.sock");
  auto lab = parse_docker_url("unix:///run/vxlab/host1/docker.sock");
  ASSERT_TRUE(lab) << lab.error().detail;
  EXPECT_EQ(*lab, "/run/vxlab/host1/docker.sock");
}

TEST(ParseDockerUrl, RefusesAnythingElse) {
  for (const char* url : {"", "/var/run/docker.sock", "unix://", "unix:///", "unix://host/docker.sock",
                          "tcp://127.0.0.1:2375", "http://localhost/docker.sock",
                          "unix:///var/run/docker.sock?x=1",
                          // found by fuzz/urls: Boost.URL 1.81 fails an assertion on these (a Debug build aborts)
                          "unix:\\", "A:\\", "hhtttp:\xfe"}) {
    auto path = parse_docker_url(url);
    ASSERT_FALSE(path) << url << " gave " << *path;
    EXPECT_EQ(path.error().kind, ErrorKind::kBadInput) << url;
    EXPECT_EQ(path.error().code, "invalid_docker_url") << url;
  }
  auto long_path = parse_docker_url("unix:///" + std::string(120, 'a'));
  ASSERT_FALSE(long_path);
  EXPECT_NE(long_path.error().detail.find("longer than 107"), std::string::npos) << long_path.error().detail;
}

// A fresh directory under /tmp, removed at the end.
class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/vx-docker-XXXXXX";
    path_ = mkdtemp(pattern);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(DockerClient, AMissingSocketIsUnavailableAtOnce) {
  TempDir dir;
  asio::io_context io;
  DockerRuntime docker(io.get_executor(), dir.path() + "/docker.sock", 5s);
  auto started = Clock::now();
  auto status = run_blocking(io, docker.ping());
  ASSERT_FALSE(status);
  EXPECT_LT(Clock::now() - started, 100ms);
  EXPECT_EQ(status.error().kind, ErrorKind::kUnavailable);
  EXPECT_EQ(status.error().code, "docker_unavailable");
  EXPECT_NE(status.error().detail.find(dir.path() + "/docker.sock"), std::string::npos)
      << status.error().detail;
}

TEST(DockerClient, ADaemonThatNeverAnswersFailsAtTheDeadline) {
  TempDir dir;
  asio::io_context io;
  // The kernel completes connections to a listening socket on its own; nobody ever reads.
  using Endpoint = asio::local::stream_protocol::endpoint;
  asio::local::stream_protocol::acceptor silent(io, Endpoint(dir.path() + "/docker.sock"));
  DockerClient client(io.get_executor(), dir.path() + "/docker.sock");
  auto started = Clock::now();
  auto response = run_blocking(io, client.call("GET", "/_ping", "", started + 200ms));
  auto waited = Clock::now() - started;
  ASSERT_FALSE(response) << "HTTP " << response->status;
  EXPECT_EQ(response.error().kind, ErrorKind::kUnavailable);
  EXPECT_EQ(response.error().code, "docker_unavailable");
  EXPECT_NE(response.error().detail.find("GET /v1.41/_ping on unix://" + dir.path() + "/docker.sock: read failed"),
            std::string::npos)
      << response.error().detail;
  EXPECT_GE(waited, 200ms);
  EXPECT_LT(waited, 1s);
}

}  // namespace
}  // namespace vx::agent
