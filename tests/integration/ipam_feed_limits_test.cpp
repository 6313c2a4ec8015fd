// What the feed's long-polls cost vxlan-ipam and how they end: watchers that vanish mid-poll
// leave nothing behind, SIGTERM answers the polls in flight instead of waiting them out,
// connections past --max-connections are told 503 and closed, and the IPAM raises its own
// open-file limit.
#include <gtest/gtest.h>

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <future>
#include <iostream>
#include <memory>
#include <sstream>
#include <thread>

#include "feed_client.h"
#include "raw_http.h"
#include "support/ipam_daemon.h"
#include "support/redis_server.h"

namespace vx::test {
namespace {

TEST(IpamFeed, VanishedWatchersCostNothing) {
  RedisServer redis;
  IpamDaemon ipam(redis.url(), {"--host-ttl-ms", "600000", "--threads", "1"});
  Answer start;
  ASSERT_TRUE(populate(ipam, kHost1, {}, "host1", start));
  size_t fds_before = open_fds(ipam.process().pid());

  std::vector<int> sockets;
  for (int i = 0; i < 200; ++i) {
    int fd = connect_raw(ipam.port());
    ASSERT_GE(fd, 0) << "connection " << i;
    ASSERT_TRUE(send_all(fd, get_request("/peers?since=" + std::to_string(start.revision) + "&wait_ms=30000")));
    sockets.push_back(fd);
  }
  std::this_thread::sleep_for(500ms);  // they are all waiting now
  int answered_early = 0;
  for (int fd : sockets) answered_early += readable(fd, 0ms);
  EXPECT_EQ(answered_early, 0) << "long-polls with nothing new answered before their wait";
  size_t fds_polling = open_fds(ipam.process().pid());
  for (int fd : sockets) close_abruptly(fd);

  // A change now wakes 200 polls whose watchers are gone.
  for (int i = 0; i < 50; ++i) {
    auto started = Clock::now();
    auto allocated = ipam.allocate("c" + std::to_string(i), "host1");
    auto took = since_ms(started);
    ASSERT_EQ(allocated.status, 200) << "allocation " << i << ": " << allocated.raw;
    EXPECT_LT(took, 1s) << "allocation " << i;
  }
  ASSERT_TRUE(ipam.process().running());
  auto health = ipam.get("/health");
  EXPECT_EQ(health.status, 200) << health.raw;
  // And the feed still works for a watcher that stayed.
  Collected feed = collect(ipam.port(), start.revision, snapshot(ipam.port()).revision);
  EXPECT_EQ(feed.problem, "");
  EXPECT_EQ(feed.changes.size(), 50u);
  bool released = wait_until([&] { return open_fds(ipam.process().pid()) < fds_before + 20; }, 5s);
  std::cout << "vxlan-ipam open files: " << fds_before << " before, " << fds_polling << " with 200 polls, "
            << open_fds(ipam.process().pid()) << " after they vanished"
            << (released ? "" : " (not released within 5 s of the change that woke them)") << "\n";
  EXPECT_TRUE(released) << "the connections of vanished watchers were not closed after the change woke them";
}

// SIGTERM finishes the requests in flight: a long-poll is answered (nothing new) and the IPAM
// exits, without waiting out the poll.
TEST(IpamFeed, ShutdownDoesNotWaitOutALongPoll) {
  RedisServer redis;
  IpamDaemon ipam(redis.url(), kNoExpiry);
  Answer start = snapshot(ipam.port());
  ASSERT_TRUE(ok(start));
  auto pending = std::async(std::launch::async, [&] { return poll(ipam.port(), start.revision, 30000); });
  ASSERT_EQ(pending.wait_for(500ms), std::future_status::timeout);
  auto stopping = Clock::now();
  int status = ipam.process().stop(std::chrono::seconds(15));
  auto took = since_ms(stopping);
  EXPECT_LT(took, 5s) << "SIGTERM took " << took.count() << " ms with a long-poll of 30 s pending";
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "exit status " << status;
  ASSERT_EQ(pending.wait_for(10s), std::future_status::ready);
  Answer answer = pending.get();
  EXPECT_EQ(answer.status, 200) << "the long-poll in flight was not answered: " << describe(answer);
  EXPECT_TRUE(answer.changes.empty()) << describe(answer);
  EXPECT_LT(answer.took, 5s) << describe(answer);
  if (HasFailure()) {
    std::istringstream log(ipam.process().log());
    for (std::string line; std::getline(log, line);) {
      if (line.find("shutting down") != std::string::npos || line.find("grace") != std::string::npos ||
          line.find("stopped") != std::string::npos) {
        std::cout << "    " << line << "\n";
      }
    }
  }
}

TEST(IpamFeed, ConnectionsPastTheLimitGet503) {
  RedisServer redis;
  IpamDaemon ipam(redis.url(), {"--host-ttl-ms", "600000", "--max-connections", "50"});
  ASSERT_EQ(ipam.allocate("before", "host1").status, 200);
  std::this_thread::sleep_for(200ms);  // the IPAM has closed our earlier connections

  std::vector<int> sockets;
  for (int i = 0; i < 60; ++i) {
    int fd = connect_raw(ipam.port());
    ASSERT_GE(fd, 0) << "connection " << i;  // the kernel accepts: the IPAM answers
    sockets.push_back(fd);
  }
  std::this_thread::sleep_for(300ms);
  int answered = 0, rejected = 0;
  std::vector<std::string> other;
  for (size_t i = 0; i < sockets.size(); ++i) {
    int fd = sockets[i];
    RawResponse response;
    if (readable(fd, 0ms)) {
      response = read_response(fd, 3s);  // answered before asking
    } else {
      send_all(fd, get_request("/health"));
      response = read_response(fd, 3s);
    }
    if (response.status == 200) {
      ++answered;
    } else if (response.status == 503 && response.body.find("\"too_many_connections\"") != std::string::npos) {
      ++rejected;
      // ... and closed.
      char byte;
      if (!readable(fd, 2s) || recv(fd, &byte, 1, 0) > 0) {
        other.push_back("connection " + std::to_string(i) + " was answered 503 but not closed");
      }
    } else {
      other.push_back("connection " + std::to_string(i) + ": " + std::to_string(response.status) + " " +
                      response.raw.substr(0, 300));
    }
  }
  EXPECT_EQ(other, std::vector<std::string>());
  EXPECT_LE(answered, 50);
  EXPECT_GE(answered, 45) << "connections under the limit were refused";
  EXPECT_GE(rejected, 10);
  if (answered == 50) {
    auto extra = ipam.allocate("while-full", "host1");
    EXPECT_EQ(extra.status, 503) << extra.raw;
    EXPECT_NE(extra.raw.find("too_many_connections"), std::string::npos) << extra.raw;
  }
  ASSERT_TRUE(ipam.process().running());
  for (int fd : sockets) close(fd);

  JsonResponse after;
  EXPECT_TRUE(wait_until([&] { return (after = ipam.allocate("after", "host1")).status == 200; }, 5s))
      << after.status << " " << after.raw;
  EXPECT_EQ(ipam.get("/health").status, 200);
  EXPECT_EQ(text(ipam.get("/check/while-full").body.at("exists")), "false");
}

// The IPAM raises its own open-file limit at start (to serve its connections, not die at 1024).
TEST(IpamFeed, RaisesItsOpenFileLimit) {
  rlimit mine{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &mine), 0);
  if (mine.rlim_max <= 1024) GTEST_SKIP() << "the hard limit is " << mine.rlim_max << ": nothing to raise to";
  RedisServer redis;
  rlimit low = mine;
  low.rlim_cur = 1024;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  std::unique_ptr<IpamDaemon> ipam;
  try {
    ipam = std::make_unique<IpamDaemon>(redis.url(), kNoExpiry);
  } catch (...) {
    setrlimit(RLIMIT_NOFILE, &mine);
    throw;
  }
  setrlimit(RLIMIT_NOFILE, &mine);
  std::ifstream limits("/proc/" + std::to_string(ipam->process().pid()) + "/limits");
  std::string line;
  unsigned long long soft = 0;
  while (std::getline(limits, line)) {
    if (line.rfind("Max open files", 0) == 0) soft = std::stoull(line.substr(26));
  }
  EXPECT_GE(soft, std::min<unsigned long long>(mine.rlim_max, 10000)) << "the IPAM's soft limit is " << soft;
}

}  // namespace
}  // namespace vx::test
