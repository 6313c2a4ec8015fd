#include "agent/removal_follower.h"

#include <spdlog/spdlog.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace vx::agent {

namespace asio = boost::asio;
using SystemClock = std::chrono::system_clock;

namespace {

// Docker keeps only its latest events: after an outage longer than this, housekeeping finds what
// the stream no longer has.
constexpr auto kLongestCatchUp = std::chrono::minutes(5);

}  // namespace

RemovalFollower::RemovalFollower(const AgentIdentity& self, ipam::IpamClient& ipam, Runtime& runtime,
                                 std::function<bool(const std::string&)> busy, std::chrono::milliseconds window)
    : self_(self), ipam_(ipam), runtime_(runtime), busy_(std::move(busy)), window_(window) {}

asio::awaitable<void> RemovalFollower::follow() {
  auto since = SystemClock::now();
  for (;;) since = co_await follow_window(since);
}

asio::awaitable<SystemClock::time_point> RemovalFollower::follow_window(SystemClock::time_point since) {
  auto now = SystemClock::now();
  if (now - since > kLongestCatchUp) since = now - kLongestCatchUp;
  auto until = std::max(since, now) + window_;
  Labels managed_here{{kManagedLabel, "true"}, {kHostLabel, self_.host_id}};
  auto removed = co_await runtime_.removed_containers(managed_here, since, until);
  if (!removed) {
    if (removed.error().detail != last_error_) {
      spdlog::warn("cannot follow Docker's container removals: {}", removed.error().detail);
    }
    last_error_ = removed.error().detail;
    asio::steady_timer pause(co_await asio::this_coro::executor);
    pause.expires_after(window_);
    co_await pause.async_wait(asio::use_awaitable);
    co_return since;
  }
  if (!last_error_.empty()) spdlog::info("following Docker's container removals again");
  last_error_.clear();
  for (const auto& name : *removed) co_await release_removed(name);
  co_return until;
}

asio::awaitable<void> RemovalFollower::release_removed(const std::string& name) {
  if (busy_ && busy_(name)) co_return;  // the agent's own create or remove: it releases, or keeps
  auto present = co_await runtime_.inspect_container(name);
  if (!present) {
    spdlog::warn("cannot tell whether {} is gone: {}", name, present.error().detail);
    co_return;
  }
  if (*present) co_return;  // recreated under the same name
  Status released = co_await ipam_.release(name, self_.host_id);
  if (released) {
    spdlog::info("released the address of {}: its container was removed outside the agent", name);
  } else if (released.error().kind != ErrorKind::kNotFound) {
    spdlog::warn("cannot release {}, removed outside the agent: {}", name, released.error().detail);
  }
}

}  // namespace vx::agent
