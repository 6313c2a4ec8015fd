// The agent's container lifecycle, on the Runtime and the IPAM:
//  create: set the container's network up on this host if it is not yet (host_networks.h), reserve
//          the name and an address on that network at the IPAM, create and start the container on
//          that network only, with that address, labelled as managed; record its MAC. A failure
//          after the reservation removes what was created and releases the address, unless the
//          reservation was an earlier one (the name already held it) and its container exists.
//  remove: removes the container and releases its address, even if the container was gone.
// Only containers carrying the managed label are listed or removed, and the name of a gateway
// reservation (proto/names.h) is never a container's. An address is never released while a container
// that may hold it might still exist. A create or remove of a name that another operation of this
// agent has claimed (name_claims.h) is refused (kConflict "operation_in_progress"). A name that a
// CNI attachment of this host holds is not a container's either: a create of it is kConflict
// "name_conflict", a remove kConflict "not_managed" (the runtime's DEL releases it).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agent/host_networks.h"
#include "agent/identity.h"
#include "agent/name_claims.h"
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

// Whether the agent created the container (its managed label).
bool is_managed(const ContainerInfo& info);
// The cluster network a managed container is on, from its label (none: the default network).
std::string network_of(const ContainerInfo& info);

class ContainerService {
 public:
  ContainerService(const AgentIdentity& self, ipam::IpamClient& ipam, Runtime& runtime, HostNetworks& networks,
                   NameClaims& claims, AttachedHere attached)
      : self_(self), ipam_(ipam), runtime_(runtime), networks_(networks), claims_(claims), attached_(std::move(attached)) {}

  boost::asio::awaitable<Result<ManagedContainer>> create(const std::string& name, const std::string& image,
                                                          const std::string& network);
  boost::asio::awaitable<Result<std::vector<ManagedContainer>>> list();
  boost::asio::awaitable<Result<ManagedContainer>> get(const std::string& name);
  boost::asio::awaitable<Result<ManagedContainer>> remove(const std::string& name);

  // `name`'s container was removed outside the agent and its address released (removal_follower.h):
  // a remove of it within a minute still answers as removed, as it would have a moment earlier.
  void released_elsewhere(const std::string& name);

 private:
  Result<NameClaims::Claim> claim(const std::string& name);
  // kConflict `code` when a CNI attachment here holds the name.
  Status refuse_attached(const std::string& name, const std::string& code, const std::string& why);
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
  NameClaims& claims_;
  AttachedHere attached_;
  std::map<std::string, std::chrono::steady_clock::time_point> released_elsewhere_;
};

// An image reference Docker could accept: not empty, at most 255 characters, no white space.
Status validate_image(const std::string& image);

}  // namespace vx::agent
