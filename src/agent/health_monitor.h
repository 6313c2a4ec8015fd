// What the agent's loops last saw of the daemons it depends on, for /health: a health request reads
// it and calls nobody, so a thousand monitors asking cost Docker and the IPAM nothing, and the answer
// is at most one interval old. Docker is pinged every interval; the IPAM's state is what the last
// heartbeat found. Before the first look, each says "not checked yet".
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <string>

#include "agent/runtime.h"
#include "common/error.h"

namespace vx::agent {

struct Observed {
  std::string docker_error = "not checked yet";  // empty while Docker answers
  std::string ipam_error = "not checked yet";    // empty while heartbeats reach the IPAM
};

class HealthMonitor {
 public:
  HealthMonitor(Runtime& runtime, std::chrono::milliseconds interval) : runtime_(runtime), interval_(interval) {}

  // Pings Docker every interval until the io_context stops.
  boost::asio::awaitable<void> run();
  // One ping, noted; answers what it found.
  boost::asio::awaitable<Status> check_docker();
  void note_ipam(const Status& heartbeat);

  const Observed& observed() const { return observed_; }

 private:
  Runtime& runtime_;
  std::chrono::milliseconds interval_;
  Observed observed_;
};

}  // namespace vx::agent
