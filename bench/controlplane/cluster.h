// The made-up cluster the benchmark drives through the IPAM's API: hosts that register and
// heartbeat, containers that get an address and then a MAC, allocations timed one by one.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "http_connection.h"
#include "tasks.h"

namespace cpbench {

// The deadline of every ordinary request: far above any sane latency, so hitting it means broken.
constexpr std::chrono::seconds kRequestTimeout{10};

std::string host_id(size_t index);
// "c-INDEX": the name register_containers() gives container `index`, which it puts on host index % hosts.
std::string container_name(size_t index);
// A locally administered MAC: 02:TAG: and the index in the last four bytes.
std::string mac_address(uint8_t tag, size_t index);

// POST /hosts for hosts 0..count-1, underlay 10.x.y.z, from `lanes` connections.
boost::asio::awaitable<void> register_hosts(uint16_t port, size_t count, size_t lanes);

// POST /allocate, then POST /container/{name}/endpoint with its MAC.
boost::asio::awaitable<void> add_endpoint(HttpConnection& connection, const std::string& name, const std::string& host,
                                          const std::string& mac);

// add_endpoint() for containers "c-0".."c-(count-1)", spread round-robin over `hosts` hosts.
boost::asio::awaitable<void> register_containers(uint16_t port, size_t count, size_t hosts, size_t lanes);

// `count` allocations of new names PREFIX-i from `lanes` connections, each released right after;
// answers the time each POST /allocate took, in ms.
boost::asio::awaitable<std::vector<double>> time_allocations(uint16_t port, const std::string& prefix, size_t count,
                                                             size_t hosts, size_t lanes);

// Every host heartbeats on a fixed schedule, from a few connections that each take a share.
class Heartbeats {
 public:
  Heartbeats(uint16_t port, size_t hosts, size_t lanes, Clock::duration interval);

  void start(Background& background);
  // Stops the schedule and returns once no heartbeat is in flight.
  boost::asio::awaitable<void> pause();
  void resume();

  uint64_t sent() const { return sent_; }
  // How long each heartbeat since the last call took to answer, in ms. A lane sends its hosts' one
  // after the other, so a slow answer delays the lane's other hosts too; real agents send on their
  // own, and would see this latency, not the lane's delay.
  std::vector<double> take_latencies_ms() { return std::exchange(latencies_ms_, {}); }

 private:
  boost::asio::awaitable<void> beat(size_t lane);
  boost::asio::awaitable<void> beat_round(HttpConnection& connection, size_t lane);

  uint16_t port_;
  size_t lanes_;
  Clock::duration interval_;
  size_t hosts_;
  bool paused_ = false;
  size_t rounds_in_flight_ = 0;
  uint64_t sent_ = 0;
  std::vector<double> latencies_ms_;
};

}  // namespace cpbench
