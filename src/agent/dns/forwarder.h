// Asks the upstream resolvers what the cluster does not know: each in turn, over the transport
// the client used (a client that got a truncated UDP answer asks again over TCP, and so do we),
// each with a deadline. The query goes out unchanged but for its id, a random one per attempt
// from a fresh socket (a random source port), and only a response to that id and question is
// taken, so that a forged or late answer is not relayed. An upstream that answers SERVFAIL,
// REFUSED or NOTIMP is passed over for the next, as resolv.conf's resolver does; its answer is
// relayed only when no other answers better.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/udp.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <vector>

namespace vx::agent::dns {

enum class Transport { kUdp, kTcp };

class Forwarder {
 public:
  Forwarder(std::vector<boost::asio::ip::udp::endpoint> upstreams, std::chrono::milliseconds timeout);

  // The upstream reply to `query` (a readable query), with `query`'s id; nothing when no upstream
  // answered within its timeout. Takes at most the timeout once per upstream. The Forwarder must
  // outlive the call.
  boost::asio::awaitable<std::optional<std::vector<uint8_t>>> forward(std::vector<uint8_t> query,
                                                                       Transport transport);

  const std::vector<boost::asio::ip::udp::endpoint>& upstreams() const { return upstreams_; }

 private:
  boost::asio::awaitable<std::optional<std::vector<uint8_t>>> ask_udp(const boost::asio::ip::udp::endpoint& upstream,
                                                                       const std::vector<uint8_t>& query);
  boost::asio::awaitable<std::optional<std::vector<uint8_t>>> ask_tcp(const boost::asio::ip::udp::endpoint& upstream,
                                                                       const std::vector<uint8_t>& query);

  std::vector<boost::asio::ip::udp::endpoint> upstreams_;
  std::chrono::milliseconds timeout_;
  std::mt19937 ids_;
};

}  // namespace vx::agent::dns
