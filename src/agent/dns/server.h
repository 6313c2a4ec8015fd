// The agent's name server for containers: one UDP socket and one TCP listener per overlay network,
// on that network's gateway address, each bound to the network's bridge (SO_BINDTODEVICE) so that
// it answers only the containers of that network. It answers from the cluster's view through a
// Lookup (answer.h says what it answers) and forwards the other names to the host's resolvers
// (forwarder.h), so that the containers' own names cost no round trip.
//
// Everything runs on the executor given, which must run on one thread: the Server is not
// thread-safe, and calls the Lookup on that thread. Every network call has a deadline. A forward
// in flight when its network is forgotten ends with its own timeout, and its reply is dropped.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/udp.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/dns/answer.h"
#include "common/error.h"
#include "common/ipv4.h"

namespace vx::agent::dns {

struct ServerState;
struct NetworkListener;

struct Options {
  uint16_t port = 53;  // 0: any free port, the same for UDP and TCP (see Server::port), for tests
  std::chrono::milliseconds upstream_timeout{2000};  // per upstream and attempt
  uint32_t ttl_seconds = 1;                          // of the A records answered
  size_t max_forwards = 256;         // forwards in flight at once, all networks; more get SERVFAIL
  size_t max_tcp_connections = 64;   // per network; one more is closed at once
  std::chrono::milliseconds tcp_idle_timeout{10000};
};

// Queries by what they got, since the Server started; read on the Server's executor.
struct Counters {
  uint64_t answered = 0;   // an A record from the cluster
  uint64_t nodata = 0;     // a cluster name, another type
  uint64_t nxdomain = 0;   // a name of another network
  uint64_t forwarded = 0;  // an upstream's reply relayed
  uint64_t servfail = 0;   // no upstream answered, or too many forwards in flight
  uint64_t refused = 0;    // FORMERR or NOTIMP
  uint64_t dropped = 0;    // not a query: no reply
};

class Server {
 public:
  Server(boost::asio::any_io_executor executor, Lookup lookup, std::vector<boost::asio::ip::udp::endpoint> upstreams,
         Options options = {});
  ~Server();  // stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Serves `network` on `address` (which must be local already), UDP and TCP, bound to `device`
  // unless it is empty. Again with the same address and device it does nothing; with others it
  // moves the network there. "dns_bind_failed" (unavailable) when a socket cannot be set up: the
  // network is then not served.
  Status listen(const std::string& network, Ipv4 address, const std::string& device);

  // Stops serving `network`, closing its sockets; nothing when it is not served.
  void forget(const std::string& network);

  // Forgets every network.
  void stop();

  // The port `network` is served on, when it is.
  std::optional<uint16_t> port(const std::string& network) const;

  const Counters& counters() const;

 private:
  boost::asio::any_io_executor executor_;
  std::shared_ptr<ServerState> state_;  // shared with the coroutines, which may outlive the Server
  std::map<std::string, std::shared_ptr<NetworkListener>> listeners_;
};

}  // namespace vx::agent::dns
