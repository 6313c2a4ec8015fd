#include "agent/dns/server.h"

#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <exception>

#include "agent/dns/forwarder.h"
#include "agent/dns/message.h"
#include "agent/dns/sockets.h"
#include "common/no_throw.h"

namespace vx::agent::dns {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;
using asio::ip::tcp;
using asio::ip::udp;

struct ServerState {
  ServerState(Lookup lookup, std::vector<udp::endpoint> upstreams, Options options)
      : lookup(std::move(lookup)), options(options), forwarder(std::move(upstreams), options.upstream_timeout) {}

  Lookup lookup;
  Options options;
  Forwarder forwarder;
  Counters counters;
  size_t forwards = 0;  // in flight
};

struct NetworkListener {
  NetworkListener(std::string network, Ipv4 address, std::string device, Sockets sockets)
      : network(std::move(network)),
        address(address),
        device(std::move(device)),
        datagrams(std::move(sockets.udp)),
        acceptor(std::move(sockets.tcp)),
        closed(datagrams.get_executor(), asio::steady_timer::time_point::max()) {}

  // Wakes every coroutine of this network: those on its sockets by the close, those waiting on
  // anything else (a TCP connection's read) through `closed`. Each checks `open` when it wakes.
  void close() {
    open = false;
    boost::system::error_code ignored;
    datagrams.close(ignored);
    acceptor.close(ignored);
    closed.cancel();
  }

  std::string network;
  Ipv4 address;
  std::string device;
  udp::socket datagrams;
  tcp::acceptor acceptor;
  asio::steady_timer closed;  // never expires; cancelled by close()
  bool open = true;
  size_t tcp_connections = 0;
  std::array<uint8_t, 65535> datagram{};  // more than any UDP payload
};

namespace {

constexpr std::chrono::milliseconds kAcceptPause{100};

void count(Counters& counters, Outcome outcome) {
  switch (outcome) {
    case Outcome::kAnswered: ++counters.answered; break;
    case Outcome::kNoData: ++counters.nodata; break;
    case Outcome::kNxDomain: ++counters.nxdomain; break;
    case Outcome::kRefused: ++counters.refused; break;
    case Outcome::kDropped: ++counters.dropped; break;
    case Outcome::kForward: break;  // counted once the upstreams have answered, or not
  }
}

// The coroutines of a network end on their own once it is closed; one that fails otherwise (out
// of memory) is logged, and its network goes on without it.
void log_failure(std::exception_ptr failure) {
  if (!failure) return;
  try {
    std::rethrow_exception(failure);
  } catch (const std::exception& e) {
    spdlog::error("dns: a task failed: {}", e.what());
  }
}

template <typename Client>
Decision decide_logged(ServerState& state, const NetworkListener& listener, std::span<const uint8_t> query,
                       const Client& client) {
  Decision decision = decide(query, listener.network, state.lookup, AnswerOptions{state.options.ttl_seconds});
  count(state.counters, decision.outcome);
  if (spdlog::should_log(spdlog::level::debug)) {
    spdlog::debug("dns {}: {} asks {} type {}: {}", listener.network, client.address().to_string(),
                  decision.name, decision.type, outcome_name(decision.outcome));
  }
  return decision;
}

// The upstreams' reply to `query`, or SERVFAIL: the reply is never empty.
asio::awaitable<std::vector<uint8_t>> forwarded(std::shared_ptr<ServerState> state, std::vector<uint8_t> query,
                                                Transport transport) {
  if (state->forwards >= state->options.max_forwards) {
    ++state->counters.servfail;
    co_return error_reply(query, Rcode::kServFail);
  }
  ++state->forwards;
  std::optional<std::vector<uint8_t>> reply = co_await state->forwarder.forward(query, transport);
  --state->forwards;
  if (reply) {
    ++state->counters.forwarded;
    co_return std::move(*reply);
  }
  ++state->counters.servfail;
  co_return error_reply(query, Rcode::kServFail);
}

asio::awaitable<void> relay_udp(std::shared_ptr<ServerState> state, std::shared_ptr<NetworkListener> listener,
                                udp::endpoint client, std::vector<uint8_t> query) {
  std::vector<uint8_t> reply = co_await forwarded(state, std::move(query), Transport::kUdp);
  if (!listener->open) co_return;
  co_await listener->datagrams.async_send_to(asio::buffer(reply), client, kNoThrow);
}

asio::awaitable<void> serve_udp(std::shared_ptr<ServerState> state, std::shared_ptr<NetworkListener> listener) {
  udp::endpoint client;
  for (;;) {
    auto [ec, length] = co_await listener->datagrams.async_receive_from(asio::buffer(listener->datagram), client, kNoThrow);
    if (!listener->open) co_return;
    if (ec) continue;  // an error of one datagram
    std::span<const uint8_t> query(listener->datagram.data(), length);
    Decision decision = decide_logged(*state, *listener, query, client);
    if (decision.outcome == Outcome::kForward) {
      // Apart, so that the next queries are not held up by this one's upstream.
      asio::co_spawn(listener->datagrams.get_executor(),
                     relay_udp(state, listener, client, std::vector<uint8_t>(query.begin(), query.end())),
                     log_failure);
    } else if (!decision.reply.empty()) {
      co_await listener->datagrams.async_send_to(asio::buffer(decision.reply), client, kNoThrow);
    }
  }
}

// Whether `operation` on a TCP connection completes before `deadline` and while the network is
// served.
template <typename Operation>
asio::awaitable<bool> in_time(NetworkListener& listener, asio::steady_timer& deadline, Operation operation) {
  if (!listener.open) co_return false;
  auto first = co_await (std::move(operation) || deadline.async_wait(kNoThrow) || listener.closed.async_wait(kNoThrow));
  if (first.index() != 0 || !listener.open) co_return false;
  co_return !std::get<0>(std::get<0>(first));
}

// Queries one after the other on one connection, each a message after its two-byte length (RFC
// 1035 4.2.2), until the client closes it or stays silent for the idle timeout.
asio::awaitable<void> serve_tcp(std::shared_ptr<ServerState> state, std::shared_ptr<NetworkListener> listener,
                                tcp::socket socket) {
  ++listener->tcp_connections;
  struct Leave {
    NetworkListener& listener;
    ~Leave() { --listener.tcp_connections; }
  } leave{*listener};
  boost::system::error_code ec;
  tcp::endpoint client = socket.remote_endpoint(ec);
  asio::steady_timer idle(socket.get_executor());
  std::array<uint8_t, 2> length{};
  std::vector<uint8_t> query;
  for (;;) {
    idle.expires_after(state->options.tcp_idle_timeout);
    if (!co_await in_time(*listener, idle, asio::async_read(socket, asio::buffer(length), kNoThrow))) co_return;
    query.resize(size_t{length[0]} << 8 | length[1]);
    if (!co_await in_time(*listener, idle, asio::async_read(socket, asio::buffer(query), kNoThrow))) co_return;
    Decision decision = decide_logged(*state, *listener, query, client);
    std::vector<uint8_t> reply = std::move(decision.reply);
    if (decision.outcome == Outcome::kForward) reply = co_await forwarded(state, query, Transport::kTcp);
    if (reply.empty()) continue;
    length = {static_cast<uint8_t>(reply.size() >> 8), static_cast<uint8_t>(reply.size())};
    std::array<asio::const_buffer, 2> message{asio::buffer(length), asio::buffer(reply)};
    if (!co_await in_time(*listener, idle, asio::async_write(socket, message, kNoThrow))) co_return;
  }
}

asio::awaitable<void> accept_tcp(std::shared_ptr<ServerState> state, std::shared_ptr<NetworkListener> listener) {
  asio::steady_timer pause(listener->acceptor.get_executor());
  for (;;) {
    auto [ec, socket] = co_await listener->acceptor.async_accept(kNoThrow);
    if (!listener->open) co_return;
    if (ec) {
      // Out of descriptors, most likely: retrying at once would spin.
      spdlog::warn("dns {}: cannot accept a TCP connection: {}", listener->network, ec.message());
      pause.expires_after(kAcceptPause);
      co_await (pause.async_wait(kNoThrow) || listener->closed.async_wait(kNoThrow));
      continue;
    }
    if (listener->tcp_connections >= state->options.max_tcp_connections) continue;  // closed as it goes
    asio::co_spawn(listener->acceptor.get_executor(), serve_tcp(state, listener, std::move(socket)), log_failure);
  }
}

}  // namespace

Server::Server(asio::any_io_executor executor, Lookup lookup, std::vector<udp::endpoint> upstreams, Options options)
    : executor_(std::move(executor)),
      state_(std::make_shared<ServerState>(std::move(lookup), std::move(upstreams), options)) {
  if (state_->forwarder.upstreams().empty()) {
    spdlog::warn("dns: no upstream resolvers: names outside the cluster get SERVFAIL");
  }
}

Server::~Server() { stop(); }

Status Server::listen(const std::string& network, Ipv4 address, const std::string& device) {
  auto it = listeners_.find(network);
  if (it != listeners_.end()) {
    if (it->second->address == address && it->second->device == device) return Ok{};
    forget(network);
  }
  auto sockets = bind_sockets(executor_, address, state_->options.port, device);
  if (!sockets) {
    spdlog::warn("dns {}: {}", network, sockets.error().detail);
    return sockets.error();
  }
  uint16_t port = sockets->udp.local_endpoint().port();
  auto listener = std::make_shared<NetworkListener>(network, address, device, std::move(*sockets));
  listeners_.emplace(network, listener);
  asio::co_spawn(executor_, serve_udp(state_, listener), log_failure);
  asio::co_spawn(executor_, accept_tcp(state_, listener), log_failure);
  spdlog::info("dns {}: serving on {}:{}{}", network, address.to_string(), port,
               device.empty() ? std::string() : " on " + device);
  return Ok{};
}

void Server::forget(const std::string& network) {
  auto it = listeners_.find(network);
  if (it == listeners_.end()) return;
  spdlog::info("dns {}: no longer served", network);
  it->second->close();
  listeners_.erase(it);  // `network` may be this entry's own key: not used after this
}

void Server::stop() {
  while (!listeners_.empty()) forget(listeners_.begin()->first);
}

std::optional<uint16_t> Server::port(const std::string& network) const {
  auto it = listeners_.find(network);
  if (it == listeners_.end()) return std::nullopt;
  boost::system::error_code ec;
  uint16_t bound = it->second->datagrams.local_endpoint(ec).port();
  if (ec) return std::nullopt;
  return bound;
}

const Counters& Server::counters() const { return state_->counters; }

}  // namespace vx::agent::dns
