#include "agent/removal_follower.h"

#include <spdlog/spdlog.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "proto/names.h"

namespace vx::agent {

namespace asio = boost::asio;
using SystemClock = std::chrono::system_clock;

RemovalFollower::RemovalFollower(const AgentIdentity& self, ipam::IpamClient& ipam, Runtime& runtime,
                                 NameClaims& claims, AttachedHere attached, std::chrono::milliseconds window)
    : self_(self),
      ipam_(ipam),
      runtime_(runtime),
      claims_(claims),
      attached_(std::move(attached)),
      windows_("container removals", window) {
  read_ = [this](SystemClock::time_point since, SystemClock::time_point until) { return read_window(since, until); };
}

asio::awaitable<void> RemovalFollower::follow() { co_await windows_.follow(read_); }

asio::awaitable<SystemClock::time_point> RemovalFollower::follow_window(SystemClock::time_point since) {
  co_return co_await windows_.step(since, read_);
}

// Every removal, not only the managed containers': a container Docker ran by itself on a cluster
// network (docker_plugin/) is registered under its name too. Only this host's names are released.
asio::awaitable<Status> RemovalFollower::read_window(SystemClock::time_point since, SystemClock::time_point until) {
  Labels any;
  auto removed = co_await runtime_.removed_containers(any, since, until);
  if (!removed) co_return removed.error();
  std::set<std::string> names = std::exchange(deferred_, {});
  names.insert(removed->begin(), removed->end());
  for (const auto& name : names) co_await release_removed(name);
  co_return Ok{};
}

asio::awaitable<void> RemovalFollower::release_removed(const std::string& name) {
  if (proto::is_agents_name(name)) co_return;  // a container could go by one only to be refused
  auto claim = claims_.take({name});
  if (!claim) {
    deferred_.insert(name);
    co_return;
  }
  auto attached = attached_(name);
  if (!attached) {
    spdlog::warn("cannot tell whether an attachment holds {}: {}", name, attached.error().detail);
    deferred_.insert(name);
    co_return;
  }
  if (*attached) co_return;
  auto present = co_await runtime_.inspect_container(name);
  if (!present) {
    spdlog::warn("cannot tell whether {} is gone: {}", name, present.error().detail);
    co_return;
  }
  if (*present) co_return;  // recreated under the same name
  Status released = co_await ipam_.release(name, self_.host_id);
  if (released) {
    spdlog::info("released the address of {}: its container was removed outside the agent", name);
    if (released_) released_(name);
  } else if (released.error().kind != ErrorKind::kNotFound) {
    spdlog::warn("cannot release {}, removed outside the agent: {}", name, released.error().detail);
  }
}

}  // namespace vx::agent
