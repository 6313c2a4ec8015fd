// The addresses of containers Docker starts on a cluster network by itself (`docker run
// --network`, compose, `docker network connect`), which reach the agent only through Docker's IPAM
// plugin calls (ipam_driver.h) and its event stream (network_follower.h). Docker tells an IPAM
// plugin nothing about the container an address is for, so:
//  - request_address holds an address at the IPAM under a name of its own ("vxlan-docker.HOST.ID",
//    proto/names.h), with the MAC Docker chose, and leases it to Docker here; a wanted address
//    (--ip) is held exactly, or refused when another container holds it;
//  - connected(), once Docker says which container it is, renames that entry after the container:
//    names stay cluster-unique, so a name another host or a CNI attachment here holds keeps it, and
//    the container that came second is disconnected from the network (the agent logs why) rather
//    than registered twice; a wanted address a CNI attachment holds is refused as one held
//    elsewhere is;
//  - a container (with no --ip) that stops keeps its name and address parked; if it is the only one on its network
//    to have stopped in the last minute, the next address Docker asks for there is that one again:
//    a container Docker restarts keeps its address. connected() checks the guess and moves the
//    entry to whichever container got it; any other start gets a new address;
//  - disconnected() releases the name of a container Docker took off the network; one that is
//    removed is released by the removal follower (removal_follower.h).
// Containers the agent creates itself (managed) ask for the address they hold already: it is
// leased to them and left to the container service. Nothing here calls Docker while Docker waits
// for an answer (moby/libnetwork#414): the plugin's calls touch the IPAM and this state only.
// What changes a container's registry name claims it first (name_claims.h); one another
// operation holds is left to housekeeping's keep().
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agent/host_networks.h"
#include "agent/identity.h"
#include "agent/name_claims.h"
#include "agent/runtime.h"
#include "ipam/client/ipam_client.h"

namespace vx::agent {

class DockerEndpoints {
 public:
  using Clock = std::chrono::steady_clock;

  DockerEndpoints(const AgentIdentity& self, ipam::IpamClient& ipam, Runtime& runtime, HostNetworks& networks,
                  NameClaims& claims, AttachedHere attached)
      : self_(self), ipam_(ipam), runtime_(runtime), networks_(networks), claims_(claims), attached_(std::move(attached)) {}

  const std::map<std::string, NetworkSetup>& networks() const { return networks_.all(); }
  // The cluster network whose Docker network is `docker_network`, if this host carries it.
  const NetworkSetup* network_of_docker(const std::string& docker_network) const;

  // For a Docker endpoint on `network` (a cluster network's name): kConflict "address_in_use" when
  // `wanted` is held by another container, kUnavailable when the IPAM does not answer.
  boost::asio::awaitable<Result<Ipv4>> request_address(const std::string& network, std::optional<Ipv4> wanted,
                                                       const std::string& mac);
  boost::asio::awaitable<Status> release_address(const std::string& network, Ipv4 address);

  // Docker's network events. Each answers false when it could not be handled now (another
  // operation claims the container's name, or whether a CNI attachment holds it cannot be told),
  // for the caller to hand it in again a little later.
  boost::asio::awaitable<bool> connected(const std::string& docker_network, const std::string& container_id);
  boost::asio::awaitable<bool> disconnected(const std::string& docker_network, const std::string& container_id);

  // Housekeeping (reconciler.h): the containers attached to the cluster networks here are claimed
  // again (an agent that restarted between a request and its container's start); answers the
  // registry names they and the leases in flight hold, which no orphan check may release.
  boost::asio::awaitable<std::set<std::string>> keep(const std::map<std::string, proto::Endpoint>& registered);

  size_t leases() const;  // addresses Docker endpoints hold here, for /health

 private:
  struct Lease {
    std::string name;  // the registry name holding it
    Clock::time_point since;
    // Whether its address waits for the container's restart when Docker releases it: only for a
    // container of Docker's own with no --ip (one with --ip asks for its address again, and the
    // agent's own containers are the container service's).
    bool parkable = false;
  };
  struct Parked {
    std::string name;
    Ipv4 address;
    Clock::time_point since;
  };

  std::string provisional_name() const;
  // The one container of `network` parked in the last minute whose address the registry still
  // holds for it here, taken off the parked list; none when there is not exactly one.
  boost::asio::awaitable<std::optional<Parked>> restart_candidate(const std::string& network);
  boost::asio::awaitable<Result<Ipv4>> hold_wanted(const std::string& network, Ipv4 wanted, const std::string& mac);
  // As connected() answers.
  boost::asio::awaitable<bool> claim(const std::string& network, const ContainerInfo& container, Ipv4 address,
                                     const Attachment& attachment);
  // Takes the container off the network: `holder` says who holds its name.
  boost::asio::awaitable<void> refuse_duplicate(const std::string& network, const ContainerInfo& container,
                                                const std::string& holder);
  // Whether a CNI attachment here holds the name; logs why when that cannot be told.
  Result<bool> attachment_holds(const std::string& name);
  void unpark(const std::string& name);

  const AgentIdentity& self_;
  ipam::IpamClient& ipam_;
  Runtime& runtime_;
  HostNetworks& networks_;
  NameClaims& claims_;
  AttachedHere attached_;
  std::map<std::string, std::map<Ipv4, Lease>> leases_;  // by network
  std::map<std::string, std::vector<Parked>> parked_;     // by network
};

}  // namespace vx::agent
