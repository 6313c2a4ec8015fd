// NetnsProber against the real kernel. Two namespaces joined by a veth pair: vpa (vp0, 10.97.0.1/24)
// stands for a container, vpb (vp1, 10.97.0.2/24) for its peer. A forked child parked in vpa is the
// container's main process whose PID the prober is given; it dies with the test process. Checked:
// echoes to the peer are all answered, echoes to an address nobody holds are lost after their
// timeouts, a TCP connect to a listening port is answered and one to a closed port is not,
// concurrent checks from one namespace take only their own replies, and a namespace or source
// address that cannot be used is "probe_failed".
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <csignal>

#include "agent/probe/netns_prober.h"
#include "agent/probe/netns_sockets.h"
#include "common/run_blocking.h"
#include "dataplane/test_netns.h"

namespace vx::agent {
namespace {

namespace asio = boost::asio;
using test::TestNetns;
using test::why;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

const Ipv4 kSelf = *Ipv4::parse("10.97.0.1");
const Ipv4 kPeer = *Ipv4::parse("10.97.0.2");
const Ipv4 kNobody = *Ipv4::parse("10.97.0.99");
constexpr uint16_t kOpenPort = 8080;
constexpr uint16_t kClosedPort = 8081;

// A child process that entered `netns` and waits there to be killed, as a container's main
// process would run in its namespace. The kernel kills it too if the test process dies first.
class ProcessInNetns {
 public:
  explicit ProcessInNetns(const std::string& netns) {
    int ready[2];
    if (pipe2(ready, O_CLOEXEC) != 0) return;
    pid_t parent = getpid();
    pid_ = fork();
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(1);
      int fd = open(("/run/netns/" + netns).c_str(), O_RDONLY | O_CLOEXEC);
      char entered = fd >= 0 && setns(fd, CLONE_NEWNET) == 0 ? 1 : 0;
      if (write(ready[1], &entered, 1) != 1 || !entered) _exit(1);
      for (;;) pause();
    }
    close(ready[1]);
    char entered = 0;
    if (pid_ > 0 && read(ready[0], &entered, 1) == 1 && entered == 1) entered_ = true;
    close(ready[0]);
  }
  ~ProcessInNetns() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  ProcessInNetns(const ProcessInNetns&) = delete;
  ProcessInNetns& operator=(const ProcessInNetns&) = delete;

  pid_t pid() const { return pid_; }
  bool entered() const { return entered_; }

 private:
  pid_t pid_ = -1;
  bool entered_ = false;
};

class NetnsProberTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(container_ns_.created()) << "cannot create network namespace " << container_ns_.name();
    ASSERT_TRUE(peer_ns_.created()) << "cannot create network namespace " << peer_ns_.name();
    for (const std::string& step : {"ip link add vp0 type veth peer name vp1 netns " + peer_ns_.name(),
                                    std::string("ip addr add 10.97.0.1/24 dev vp0"),
                                    std::string("ip link set vp0 up"), std::string("ip link set lo up")}) {
      auto result = container_ns_.exec(step);
      ASSERT_EQ(result.status, 0) << step << ": " << result.output;
    }
    for (const char* step : {"ip addr add 10.97.0.2/24 dev vp1", "ip link set vp1 up", "ip link set lo up"}) {
      auto result = peer_ns_.exec(step);
      ASSERT_EQ(result.status, 0) << step << ": " << result.output;
    }
    ASSERT_TRUE(container_.entered()) << "the stand-in container process did not enter " << container_ns_.name();
  }

  static ProbeOptions options(int count, milliseconds timeout, std::optional<uint16_t> port = std::nullopt) {
    return ProbeOptions{kSelf, count, timeout, port};
  }

  Result<ProbeReport> probe(Ipv4 target, ProbeOptions options, int pid = 0) {
    asio::io_context io;
    return run_blocking(io, prober_.probe(pid > 0 ? pid : container_.pid(), target, options));
  }

  // A socket listening on the peer's port: the kernel completes handshakes without an accept.
  Result<UniqueFd> listen_on_peer(uint16_t port) {
    auto fd = peer_ns_.run([&]() -> Result<int> {
      int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in address{};
      address.sin_family = AF_INET;
      address.sin_port = htons(port);
      address.sin_addr.s_addr = htonl(kPeer.value());
      if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || listen(fd, 16) != 0) {
        if (fd >= 0) close(fd);
        return internal("listen_failed", std::strerror(errno));
      }
      return fd;
    });
    if (!fd) return fd.error();
    return UniqueFd(*fd);
  }

  TestNetns container_ns_{"vpa"};
  TestNetns peer_ns_{"vpb"};
  ProcessInNetns container_{container_ns_.name()};
  NetnsProber prober_;
};

double elapsed_ms(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

TEST_F(NetnsProberTest, EchoesToThePeerAreAnswered) {
  auto started = Clock::now();
  auto report = probe(kPeer, options(3, milliseconds(1000)));
  double took = elapsed_ms(started);
  ASSERT_TRUE(report) << why(report);
  EXPECT_EQ(report->sent, 3);
  ASSERT_EQ(report->received(), 3);
  for (double rtt : report->rtt_ms) {
    EXPECT_GT(rtt, 0.0);
    EXPECT_LT(rtt, 1000.0);
  }
  EXPECT_GE(took, 2 * 200 - 20) << "probes are paced 200 ms apart";
  EXPECT_LT(took, 2500) << "answered probes never wait for their timeout";
}

TEST_F(NetnsProberTest, EchoesToAnAddressNobodyHoldsAreLostAfterTheirTimeouts) {
  auto started = Clock::now();
  auto report = probe(kNobody, options(2, milliseconds(300)));
  double took = elapsed_ms(started);
  ASSERT_TRUE(report) << why(report);
  EXPECT_EQ(report->sent, 2);
  EXPECT_EQ(report->received(), 0);
  EXPECT_GE(took, 2 * 300 - 20);
  EXPECT_LT(took, 2 * 300 + 1500);
}

TEST_F(NetnsProberTest, ConnectToAListeningPortIsAnswered) {
  auto listener = listen_on_peer(kOpenPort);
  ASSERT_TRUE(listener) << why(listener);
  auto report = probe(kPeer, options(3, milliseconds(1000), kOpenPort));
  ASSERT_TRUE(report) << why(report);
  EXPECT_EQ(report->sent, 3);
  EXPECT_EQ(report->received(), 3);
}

TEST_F(NetnsProberTest, ConnectToAClosedPortIsNotAnswered) {
  auto started = Clock::now();
  auto report = probe(kPeer, options(2, milliseconds(1000), kClosedPort));
  double took = elapsed_ms(started);
  ASSERT_TRUE(report) << why(report);
  EXPECT_EQ(report->sent, 2);
  EXPECT_EQ(report->received(), 0);
  EXPECT_LT(took, 1500) << "a refusal is an answer in itself: nothing waits for the timeout";
}

// Runs `check` and keeps its report in `out`.
asio::awaitable<void> keep(asio::awaitable<Result<ProbeReport>> check, std::optional<Result<ProbeReport>>& out) {
  out.emplace(co_await std::move(check));
}

TEST_F(NetnsProberTest, ConcurrentChecksTakeOnlyTheirOwnReplies) {
  asio::io_context io;
  std::optional<Result<ProbeReport>> to_peer, to_nobody, to_self;
  int pid = container_.pid();
  asio::co_spawn(io, keep(prober_.probe(pid, kPeer, options(3, milliseconds(1000))), to_peer), asio::detached);
  asio::co_spawn(io, keep(prober_.probe(pid, kNobody, options(3, milliseconds(300))), to_nobody), asio::detached);
  asio::co_spawn(io, keep(prober_.probe(pid, kSelf, options(3, milliseconds(1000))), to_self), asio::detached);
  io.run();
  ASSERT_TRUE(to_peer && *to_peer) << (to_peer ? why(*to_peer) : "not run");
  ASSERT_TRUE(to_nobody && *to_nobody) << (to_nobody ? why(*to_nobody) : "not run");
  ASSERT_TRUE(to_self && *to_self) << (to_self ? why(*to_self) : "not run");
  EXPECT_EQ((*to_peer)->received(), 3);
  EXPECT_EQ((*to_self)->received(), 3);
  EXPECT_EQ((*to_nobody)->received(), 0) << "the others' replies reached its socket too, and are not its own";
}

TEST_F(NetnsProberTest, UnusableNamespaceOrSourceIsProbeFailed) {
  ProbeOptions elsewhere = options(1, milliseconds(200));
  elsewhere.source = kPeer;  // not an address of the container's namespace
  auto icmp = probe(kPeer, elsewhere);
  ASSERT_FALSE(icmp);
  EXPECT_EQ(icmp.error().kind, ErrorKind::kUnavailable);
  EXPECT_EQ(icmp.error().code, "probe_failed");
  elsewhere.port = kOpenPort;
  auto tcp = probe(kPeer, elsewhere);
  ASSERT_FALSE(tcp);
  EXPECT_EQ(tcp.error().code, "probe_failed");

  auto no_process = probe(kPeer, options(1, milliseconds(200)), 0x7ffffff0);
  ASSERT_FALSE(no_process);
  EXPECT_EQ(no_process.error().code, "probe_failed");
  EXPECT_NE(no_process.error().detail.find("/proc/2147483632/ns/net"), std::string::npos) << why(no_process);
}

}  // namespace
}  // namespace vx::agent
