// Follows Docker's network events (Runtime::network_events), one short window after another, and
// hands each connect and disconnect on a cluster network to DockerEndpoints: a container Docker
// starts there is registered under its name within about a window, or two when another operation
// of the agent had its name at that moment. Housekeeping (reconciler.h,
// DockerEndpoints::keep) catches what the stream misses while the agent or dockerd is down.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <vector>

#include "agent/docker_plugin/docker_endpoints.h"
#include "agent/event_windows.h"

namespace vx::agent {

class NetworkFollower {
 public:
  NetworkFollower(Runtime& runtime, DockerEndpoints& endpoints,
                  std::chrono::milliseconds window = std::chrono::milliseconds(250));

  // Until the io_context stops.
  boost::asio::awaitable<void> follow();
  // One window from `since`; answers where the next one starts (`since` again when Docker did not
  // answer, so that no event is skipped while it comes back).
  boost::asio::awaitable<std::chrono::system_clock::time_point> follow_window(
      std::chrono::system_clock::time_point since);

 private:
  boost::asio::awaitable<Status> read_window(std::chrono::system_clock::time_point since,
                                            std::chrono::system_clock::time_point until);

  boost::asio::awaitable<bool> handled(const NetworkEvent& event);

  Runtime& runtime_;
  DockerEndpoints& endpoints_;
  // Events DockerEndpoints could not handle when they came (another operation claimed the name):
  // handed in again at the next window, before its own. Docker tells of each once.
  std::vector<NetworkEvent> deferred_;
  EventWindows windows_;
  EventWindows::Read read_;
};

}  // namespace vx::agent
