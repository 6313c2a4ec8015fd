#include "agent/docker_plugin/network_follower.h"

#include <utility>
#include <vector>

namespace vx::agent {

namespace asio = boost::asio;
using SystemClock = std::chrono::system_clock;

NetworkFollower::NetworkFollower(Runtime& runtime, DockerEndpoints& endpoints, std::chrono::milliseconds window)
    : runtime_(runtime), endpoints_(endpoints), windows_("network events", window) {
  read_ = [this](SystemClock::time_point since, SystemClock::time_point until) { return read_window(since, until); };
}

asio::awaitable<void> NetworkFollower::follow() { co_await windows_.follow(read_); }

asio::awaitable<SystemClock::time_point> NetworkFollower::follow_window(SystemClock::time_point since) {
  co_return co_await windows_.step(since, read_);
}

asio::awaitable<Status> NetworkFollower::read_window(SystemClock::time_point since, SystemClock::time_point until) {
  auto events = co_await runtime_.network_events(since, until);
  if (!events) co_return events.error();
  std::vector<NetworkEvent> pending = std::exchange(deferred_, {});
  pending.insert(pending.end(), events->begin(), events->end());
  for (const auto& event : pending) {
    if (!co_await handled(event)) deferred_.push_back(event);
  }
  co_return Ok{};
}

asio::awaitable<bool> NetworkFollower::handled(const NetworkEvent& event) {
  if (event.action == "connect") co_return co_await endpoints_.connected(event.network, event.container_id);
  if (event.action == "disconnect") co_return co_await endpoints_.disconnected(event.network, event.container_id);
  co_return true;
}

}  // namespace vx::agent
