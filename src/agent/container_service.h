// The agent's container lifecycle, on the Runtime and the IPAM:
//  create: set the container's network up on this host if it is not yet (host_networks.h), reserve
//          the name and an address on that network at the IPAM, create and start the container on
//          that network only, with that address, labelled as managed; record its MAC. A failure
//          after the reservation removes what was created and releases the address, unless the
//          reservation was an earlier one (the name already held it) and its container exists.
//  remove: removes the container and releases its address, even if the container was gone.
// Only containers carrying the managed label are listed or removed, and the name of a gateway
// reservation (proto/names.h) is never a container's. An address is never released while a container
// that may hold it might still exist. A second create or remove of a name while one is in flight
// is refused (kConflict "operation_in_progress"): the two would judge each other's half-made
// state and could free the address under the other's container.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agent/host_networks.h"
#include "agent/identity.h"
#include "ipam/client/ipam_client.h"
#include "agent/runtime.h"

namespace vx::agent {

struct ManagedContainer {
  std::string id;
  std::string name;
  std::string ip_address;
  std::string mac_address;
  std::string image;
  std::string status;
  std::string host_id;
  int pid = 0;  // its main process while it runs (a reachability check enters its namespace)
  std::string network = std::string(proto::kDefaultNetwork);
};

// The cluster network a managed container is on, from its label (none: the default network).
std::string network_of(const ContainerInfo& info);

class ContainerService {
 public:
  ContainerService(const AgentIdentity& self, ipam::IpamClient& ipam, Runtime& runtime, HostNetworks& networks)
      : self_(self), ipam_(ipam), runtime_(runtime), networks_(networks) {}

  boost::asio::awaitable<Result<ManagedContainer>> create(const std::string& name, const std::string& image,
                                                          const std::string& network);
  boost::asio::awaitable<Result<std::vector<ManagedContainer>>> list();
  boost::asio::awaitable<Result<ManagedContainer>> get(const std::string& name);
  boost::asio::awaitable<Result<ManagedContainer>> remove(const std::string& name);

  // `name`'s container was removed outside the agent and its address released (removal_follower.h):
  // a remove of it within a minute still answers as removed, as it would have a moment earlier.
  void released_elsewhere(const std::string& name);

  // Whether a create or remove of `name` is under way.
  bool busy(const std::string& name) const { return in_flight_.count(name) > 0; }

 private:
  // Marks a name busy for the lifetime of the guard.
  class NameGuard {
   public:
    NameGuard(std::set<std::string>& names, std::string name) : names_(names), name_(std::move(name)) {}
    ~NameGuard() { names_.erase(name_); }
    NameGuard(const NameGuard&) = delete;
    NameGuard& operator=(const NameGuard&) = delete;

   private:
    std::set<std::string>& names_;
    std::string name_;
  };
  Result<std::unique_ptr<NameGuard>> claim(const std::string& name);
  boost::asio::awaitable<Result<ManagedContainer>> create_claimed(const std::string& name, const std::string& image,
                                                                  const std::string& network);
  boost::asio::awaitable<Result<ManagedContainer>> remove_claimed(const std::string& name);

  ManagedContainer describe(const ContainerInfo& info) const;
  boost::asio::awaitable<Result<ManagedContainer>> create_reserved(const std::string& name,
                                                                   const std::string& image,
                                                                   const std::string& ip,
                                                                   const NetworkSetup& network);
  boost::asio::awaitable<std::optional<std::string>> leftover_of_failed_create(const std::string& name,
                                                                              const Error& error);
  boost::asio::awaitable<void> undo(const std::string& name, const std::string& container_id);

  const AgentIdentity& self_;
  ipam::IpamClient& ipam_;
  Runtime& runtime_;
  HostNetworks& networks_;
  std::set<std::string> in_flight_;
  std::map<std::string, std::chrono::steady_clock::time_point> released_elsewhere_;
};

// An image reference Docker could accept: not empty, at most 255 characters, no white space.
Status validate_image(const std::string& image);

}  // namespace vx::agent
