// The cluster networks this host carries, and setting one up the first time a container needs it.
// The default network is set up at start (host_setup.h, set_up_host) and recorded here; another
// network is set up by ensure(): its shape (subnet, VNI) comes from the IPAM, then set_up_network()
// makes its gateway, Docker network and VXLAN device. Every network carried here is kept apart from
// every other, routing through the host included (Dataplane::isolate). Set-ups of one network never overlap: a
// second caller waits for the first and then finds it done. Each set-up network is announced to
// the listeners (the reconciler programs its forwarding entries, the DNS server starts serving
// on its gateway). All of it runs on the agent's one thread.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "agent/host_setup.h"

namespace vx::agent {

class HostNetworks {
 public:
  HostNetworks(const AgentIdentity& self, ipam::IpamClient& ipam, Runtime& runtime, Dataplane& dataplane)
      : self_(self), ipam_(ipam), runtime_(runtime), dataplane_(dataplane) {}

  // A network set up by someone else (the default one, at start).
  void record(NetworkSetup setup);
  // The network set up on this host, now or before. kNotFound "unknown_network" when the IPAM does
  // not know it; kUnavailable "host_not_set_up" for the default network before start-up did it.
  boost::asio::awaitable<Result<NetworkSetup>> ensure(const std::string& network);
  // Sets a network up again (its device was deleted, its bridge recreated): the default one through
  // `repair_default`, which registers the host too.
  boost::asio::awaitable<Status> repair(const std::string& network);
  // Writes a network this host carries back to the IPAM, which lost it (a Redis wipe), with the
  // subnet, range and VNI it had, quarantined there while the agents reserve their addresses again.
  boost::asio::awaitable<Status> restore_at_ipam(const std::string& network);
  void set_repair_default(std::function<boost::asio::awaitable<Status>()> repair) { repair_default_ = std::move(repair); }

  // Stops carrying a network deleted at the IPAM: its devices stay until they are torn down.
  void forget(const std::string& network);
  const NetworkSetup* find(const std::string& network) const;
  const std::map<std::string, NetworkSetup>& all() const { return set_up_; }
  // The subnets of every network set up here: requests from their addresses are refused.
  std::vector<Cidr> subnets() const;
  // Brings the kernel's rules that keep each network's bridge from every other network's subnet in
  // line: at each set-up, and on the reconciler's every check (an operator may flush them).
  void keep_apart();
  // Why the networks here are not kept apart, or "" while they are.
  const std::string& isolation_error() const { return isolation_error_; }
  // Called with each network once it is set up, and again after each repair.
  void on_set_up(std::function<void(const NetworkSetup&)> listener) { listeners_.push_back(std::move(listener)); }

 private:
  boost::asio::awaitable<Result<NetworkSetup>> set_up(const std::string& network);
  // set_up(), marked in flight meanwhile, and recorded when done.
  boost::asio::awaitable<Result<NetworkSetup>> set_up_now(const std::string& network);
  void announce(const NetworkSetup& setup);


  const AgentIdentity& self_;
  ipam::IpamClient& ipam_;
  Runtime& runtime_;
  Dataplane& dataplane_;
  std::function<boost::asio::awaitable<Status>()> repair_default_;
  std::map<std::string, NetworkSetup> set_up_;
  std::set<std::string> in_flight_;
  std::string isolation_error_;
  std::vector<std::function<void(const NetworkSetup&)>> listeners_;
};

}  // namespace vx::agent
