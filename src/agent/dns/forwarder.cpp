#include "agent/dns/forwarder.h"

#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "agent/dns/message.h"
#include "common/no_throw.h"

namespace vx::agent::dns {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;
using asio::ip::tcp;
using asio::ip::udp;

namespace {

// The largest DNS message over UDP or TCP, and so the largest reply we keep.
constexpr size_t kMaxMessage = 65535;

bool is_failure(Rcode rcode) {
  return rcode == Rcode::kServFail || rcode == Rcode::kRefused || rcode == Rcode::kNotImp;
}

// Whether `operation` (a send, read or write) succeeds before `deadline`.
template <typename Operation>
asio::awaitable<bool> before(asio::steady_timer& deadline, Operation operation) {
  auto first = co_await (std::move(operation) || deadline.async_wait(kNoThrow));
  if (first.index() != 0) co_return false;
  auto [ec, bytes] = std::get<0>(first);
  co_return !ec;
}

}  // namespace

Forwarder::Forwarder(std::vector<udp::endpoint> upstreams, std::chrono::milliseconds timeout)
    : upstreams_(std::move(upstreams)), timeout_(timeout), ids_(std::random_device{}()) {}

asio::awaitable<std::optional<std::vector<uint8_t>>> Forwarder::forward(std::vector<uint8_t> query,
                                                                        Transport transport) {
  if (query.size() < kHeaderSize) co_return std::nullopt;
  uint16_t client_id = message_id(query);
  std::optional<std::vector<uint8_t>> fallback;
  for (const udp::endpoint& upstream : upstreams_) {
    set_message_id(query, static_cast<uint16_t>(ids_()));
    // No co_await inside ?: : GCC 12 destroys the temporaries of such an expression twice.
    std::optional<std::vector<uint8_t>> reply;
    if (transport == Transport::kUdp) {
      reply = co_await ask_udp(upstream, query);
    } else {
      reply = co_await ask_tcp(upstream, query);
    }
    if (!reply) continue;
    std::optional<Rcode> rcode = rcode_of_reply(*reply, query);
    set_message_id(*reply, client_id);
    if (rcode && !is_failure(*rcode)) co_return reply;
    if (!fallback) fallback = std::move(reply);
  }
  co_return fallback;
}

asio::awaitable<std::optional<std::vector<uint8_t>>> Forwarder::ask_udp(const udp::endpoint& upstream,
                                                                        const std::vector<uint8_t>& query) {
  auto executor = co_await asio::this_coro::executor;
  udp::socket socket(executor);
  boost::system::error_code ec;
  // Connected, so that the kernel drops datagrams from anyone else and an ICMP "port
  // unreachable" ends the wait at once instead of after the timeout.
  socket.open(udp::v4(), ec);
  if (!ec) socket.connect(upstream, ec);
  if (ec) {
    spdlog::debug("dns: cannot ask {}: {}", upstream.address().to_string(), ec.message());
    co_return std::nullopt;
  }
  asio::steady_timer deadline(executor, timeout_);
  if (!co_await before(deadline, socket.async_send(asio::buffer(query), kNoThrow))) co_return std::nullopt;
  std::vector<uint8_t> reply(kMaxMessage);
  for (;;) {
    auto first = co_await (socket.async_receive(asio::buffer(reply), kNoThrow) || deadline.async_wait(kNoThrow));
    if (first.index() != 0) {
      spdlog::debug("dns: {} did not answer in time", upstream.address().to_string());
      co_return std::nullopt;
    }
    auto [receive_ec, length] = std::get<0>(first);
    if (receive_ec) {
      spdlog::debug("dns: {}: {}", upstream.address().to_string(), receive_ec.message());
      co_return std::nullopt;
    }
    std::span<const uint8_t> got(reply.data(), length);
    if (rcode_of_reply(got, query)) {
      reply.resize(length);
      co_return reply;
    }
  }
}

asio::awaitable<std::optional<std::vector<uint8_t>>> Forwarder::ask_tcp(const udp::endpoint& upstream,
                                                                        const std::vector<uint8_t>& query) {
  auto executor = co_await asio::this_coro::executor;
  tcp::socket socket(executor);
  asio::steady_timer deadline(executor, timeout_);
  tcp::endpoint to(upstream.address(), upstream.port());
  auto connected = co_await (socket.async_connect(to, kNoThrow) || deadline.async_wait(kNoThrow));
  if (connected.index() != 0 || std::get<0>(std::get<0>(connected))) {
    spdlog::debug("dns: cannot reach {} over TCP in time", upstream.address().to_string());
    co_return std::nullopt;
  }
  // RFC 1035 4.2.2: over TCP each message is preceded by its length, two bytes, network order.
  std::array<uint8_t, 2> length{static_cast<uint8_t>(query.size() >> 8), static_cast<uint8_t>(query.size())};
  std::array<asio::const_buffer, 2> request{asio::buffer(length), asio::buffer(query)};
  if (!co_await before(deadline, asio::async_write(socket, request, kNoThrow))) co_return std::nullopt;
  if (!co_await before(deadline, asio::async_read(socket, asio::buffer(length), kNoThrow))) co_return std::nullopt;
  std::vector<uint8_t> reply(size_t{length[0]} << 8 | length[1]);
  if (!co_await before(deadline, asio::async_read(socket, asio::buffer(reply), kNoThrow))) co_return std::nullopt;
  if (!rcode_of_reply(reply, query)) co_return std::nullopt;
  co_return reply;
}

}  // namespace vx::agent::dns
