#include "agent/probe/netns_prober.h"

#include <linux/icmp.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/icmp.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <random>

#include "agent/probe/icmp_echo.h"
#include "agent/probe/netns_sockets.h"
#include "common/no_throw.h"

namespace vx::agent {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;
using icmp = asio::ip::icmp;
using tcp = asio::ip::tcp;

namespace {


asio::ip::address_v4 address_of(Ipv4 ip) { return asio::ip::address_v4(ip.value()); }

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

Error probe_failed(const std::string& detail) { return unavailable("probe_failed", detail); }

// Echo requests from one raw ICMP socket, each waiting for its own reply.
class EchoProbe {
 public:
  EchoProbe(asio::any_io_executor executor, Ipv4 target, std::chrono::milliseconds timeout, uint16_t identifier)
      : socket_(executor), deadline_(executor), target_(target), timeout_(timeout), identifier_(identifier) {}

  Status open(UniqueFd fd, Ipv4 source) {
    error_code ec;
    socket_.assign(icmp::v4(), fd.get(), ec);
    if (ec) return probe_failed("cannot use the ICMP socket: " + ec.message());
    fd.release();
    // The kernel hands a raw socket every ICMP message for its address; keep only echo replies.
    icmp_filter only_replies{~(1u << ICMP_ECHOREPLY)};
    if (setsockopt(socket_.native_handle(), SOL_RAW, ICMP_FILTER, &only_replies, sizeof only_replies) != 0) {
      return probe_failed(std::string("cannot filter the ICMP socket: ") + std::strerror(errno));
    }
    socket_.bind(icmp::endpoint(address_of(source), 0), ec);
    if (ec) return probe_failed("cannot send from " + source.to_string() + " in that namespace: " + ec.message());
    return Ok{};
  }

  asio::awaitable<std::optional<double>> once(uint16_t sequence) {
    std::vector<uint8_t> request = echo_request(identifier_, sequence);
    icmp::endpoint to(address_of(target_), 0);
    Clock::time_point started = Clock::now();
    auto [send_ec, sent] = co_await socket_.async_send_to(asio::buffer(request), to, kNoThrow);
    if (send_ec) {
      spdlog::debug("echo {} to {} not sent: {}", sequence, target_.to_string(), send_ec.message());
      co_return std::nullopt;
    }
    deadline_.expires_at(started + timeout_);
    for (;;) {
      auto first = co_await (socket_.async_receive(asio::buffer(packet_), kNoThrow) ||
                             deadline_.async_wait(kNoThrow));
      if (first.index() == 1) co_return std::nullopt;
      auto [receive_ec, length] = std::get<0>(first);
      if (receive_ec) co_return std::nullopt;
      auto reply = parse_echo_reply(std::span<const uint8_t>(packet_.data(), length));
      if (reply && reply->source == target_ && reply->identifier == identifier_ && reply->sequence == sequence) {
        co_return ms_since(started);
      }
    }
  }

 private:
  icmp::socket socket_;
  asio::steady_timer deadline_;
  Ipv4 target_;
  std::chrono::milliseconds timeout_;
  uint16_t identifier_;
  std::array<uint8_t, 2048> packet_{};  // more than an echo reply of ours; others may be cut short
};

// TCP connects, one fresh socket each; a refused connection is no answer.
class ConnectProbe {
 public:
  ConnectProbe(asio::any_io_executor executor, Ipv4 target, uint16_t port, std::chrono::milliseconds timeout)
      : executor_(executor), deadline_(executor), to_(address_of(target), port), timeout_(timeout) {}

  Status open(std::vector<UniqueFd> fds, Ipv4 source) {
    for (UniqueFd& fd : fds) {
      tcp::socket socket(executor_);
      error_code ec;
      socket.assign(tcp::v4(), fd.get(), ec);
      if (ec) return probe_failed("cannot use the TCP socket: " + ec.message());
      fd.release();
      socket.bind(tcp::endpoint(address_of(source), 0), ec);
      if (ec) return probe_failed("cannot connect from " + source.to_string() + " in that namespace: " + ec.message());
      sockets_.push_back(std::move(socket));
    }
    return Ok{};
  }

  // `sequence` counts from 1, one socket each.
  asio::awaitable<std::optional<double>> once(uint16_t sequence) {
    tcp::socket& socket = sockets_.at(sequence - 1);
    Clock::time_point started = Clock::now();
    deadline_.expires_at(started + timeout_);
    auto first = co_await (socket.async_connect(to_, kNoThrow) || deadline_.async_wait(kNoThrow));
    std::optional<double> rtt;
    if (first.index() == 0) {
      auto [connect_ec] = std::get<0>(first);
      if (!connect_ec) rtt = ms_since(started);
      else spdlog::debug("connect {} to {}: {}", sequence, to_.address().to_string(), connect_ec.message());
    }
    error_code ignored;
    socket.close(ignored);
    co_return rtt;
  }

 private:
  asio::any_io_executor executor_;
  asio::steady_timer deadline_;
  tcp::endpoint to_;
  std::chrono::milliseconds timeout_;
  std::vector<tcp::socket> sockets_;
};

// Probes 1..count one after the other, each starting kProbeInterval after the previous one
// started, or when that one ended if it took longer.
template <typename Probe>
asio::awaitable<ProbeReport> paced(Probe& probe, int count) {
  ProbeReport report;
  auto executor = co_await asio::this_coro::executor;
  asio::steady_timer pause(executor);
  for (int sequence = 1; sequence <= count; ++sequence) {
    Clock::time_point started = Clock::now();
    std::optional<double> rtt = co_await probe.once(static_cast<uint16_t>(sequence));
    ++report.sent;
    if (rtt) report.rtt_ms.push_back(*rtt);
    if (sequence < count) {
      pause.expires_at(started + kProbeInterval);
      co_await pause.async_wait(kNoThrow);
    }
  }
  co_return report;
}

}  // namespace

NetnsProber::NetnsProber() : next_identifier_(static_cast<uint16_t>(std::random_device{}())) {}

asio::awaitable<Result<ProbeReport>> NetnsProber::probe(int pid, Ipv4 target, ProbeOptions options) {
  if (options.port) co_return co_await connect(pid, target, options);
  co_return co_await echo(pid, target, options);
}

asio::awaitable<Result<ProbeReport>> NetnsProber::echo(int pid, Ipv4 target, const ProbeOptions& options) {
  auto fds = co_await sockets_in_netns(pid, SOCK_RAW, IPPROTO_ICMP, 1);
  if (!fds) co_return probe_failed(fds.error().detail);
  auto executor = co_await asio::this_coro::executor;
  EchoProbe probe(executor, target, options.timeout, next_identifier_++);
  if (Status ready = probe.open(std::move(fds->front()), options.source); !ready) co_return ready.error();
  co_return co_await paced(probe, options.count);
}

asio::awaitable<Result<ProbeReport>> NetnsProber::connect(int pid, Ipv4 target, const ProbeOptions& options) {
  auto fds = co_await sockets_in_netns(pid, SOCK_STREAM, IPPROTO_TCP, options.count);
  if (!fds) co_return probe_failed(fds.error().detail);
  auto executor = co_await asio::this_coro::executor;
  ConnectProbe probe(executor, target, *options.port, options.timeout);
  if (Status ready = probe.open(std::move(*fds), options.source); !ready) co_return ready.error();
  co_return co_await paced(probe, options.count);
}

}  // namespace vx::agent
