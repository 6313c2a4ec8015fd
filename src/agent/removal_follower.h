// Releases the address of a container removed behind the agent's back (`docker rm -f`, or any rm
// of a container Docker ran on a cluster network by itself), within about a window of its removal:
// it reads Docker's event stream one window after another (Runtime::removed_containers). The reconciler's housekeeping
// (reconciler.h) stays the safety net for what the stream misses: an agent that was down, a dockerd
// that restarted. A name is released only once Docker, asked again, holds no container of that
// name, never while another operation claims it (name_claims.h; it is tried again a window later),
// so that a container recreated under the same name keeps its address, and never while a CNI attachment here holds it: a Docker
// container of a pod's name, on any network, is no reason to free the pod's address.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <set>
#include <string>

#include "agent/event_windows.h"
#include "agent/identity.h"
#include "agent/name_claims.h"
#include "agent/runtime.h"
#include "ipam/client/ipam_client.h"

namespace vx::agent {

class RemovalFollower {
 public:
  RemovalFollower(const AgentIdentity& self, ipam::IpamClient& ipam, Runtime& runtime, NameClaims& claims,
                  AttachedHere attached, std::chrono::milliseconds window = std::chrono::milliseconds(250));

  // Called with each name it released.
  void on_released(std::function<void(const std::string&)> released) { released_ = std::move(released); }

  // Until the io_context stops.
  boost::asio::awaitable<void> follow();
  // One window from `since`; answers where the next one starts (`since` again when Docker did not
  // answer, so that no removal is skipped while it comes back).
  boost::asio::awaitable<std::chrono::system_clock::time_point> follow_window(std::chrono::system_clock::time_point since);

 private:
  boost::asio::awaitable<Status> read_window(std::chrono::system_clock::time_point since,
                                            std::chrono::system_clock::time_point until);
  boost::asio::awaitable<void> release_removed(const std::string& name);

  const AgentIdentity& self_;
  ipam::IpamClient& ipam_;
  Runtime& runtime_;
  NameClaims& claims_;
  AttachedHere attached_;
  std::function<void(const std::string&)> released_;
  // Removals whose names another operation claimed: tried again at the next window, once it has
  // most likely ended. Docker tells of a removal once; skipped, it would wait for housekeeping.
  std::set<std::string> deferred_;
  EventWindows windows_;
  EventWindows::Read read_;
};

}  // namespace vx::agent
