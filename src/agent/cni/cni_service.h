// Network namespaces that container runtimes attach to the cluster through the CNI plugin
// (src/cni, proto/cni.h). An attachment is named by the runtime's container id and interface; its
// address is held at the IPAM under the name the runtime gave (CNI_ARGS), with a MAC derived from
// the id and interface, so that the peers' forwarding entries and the cluster's DNS follow it
// exactly as they follow any container. On this host it is a veth pair whose host end is named
// after the id and interface too ("vxc" and 12 hex digits), labelled with its network, name, the
// runtime's network configuration and its MAC, and keeping its address (sandboxes.h): the kernel
// holds the state. The reconciler reserves it again should the registry lose it, and once a
// namespace deleted without a DEL takes it away, its orphan check releases the name (attached()
// no longer lists it).
//  - add() holds the address, records the MAC, then makes the pair; a failure undoes what it did.
//    The same add again answers the same attachment. A name this host holds with no MAC recorded
//    and no Docker container of that name is an add that died before recording it: taken over.
//  - del() deletes the pair and releases the name; unknown attachments are Ok (DEL is
//    idempotent). An add that crashed before making its pair is released too: its name carries the
//    MAC derived for it. A failed add releases only a name it made itself, and a release is
//    conditional on the MAC at the IPAM, so a name that passed to another container stays with it.
//  - Each operation claims the attachment and its name (name_claims.h) first: one on either while
//    another operation of this agent (a CNI one, or a container's create or remove) is in flight
//    is kUnavailable "busy", and the runtime tries again; so an add never loses its name
//    half-way, and two adds of one attachment never both make it.
//  - gc() does del() for this host's attachments made with the runtime's network configuration
//    that are not in its list (another configuration's, on the same cluster network or not, are
//    not its to judge). A name that has since passed to another container is left to it.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "agent/cni/sandboxes.h"
#include "agent/host_networks.h"
#include "agent/identity.h"
#include "agent/name_claims.h"
#include "agent/runtime.h"
#include "ipam/client/ipam_client.h"
#include "proto/agent.h"
#include "proto/cni.h"

namespace vx::agent {

class CniService {
 public:
  CniService(const AgentIdentity& self, ipam::IpamClient& ipam, HostNetworks& networks, Sandboxes& sandboxes,
             NameClaims& claims, Runtime& runtime)
      : self_(self), ipam_(ipam), networks_(networks), sandboxes_(sandboxes), claims_(claims), runtime_(runtime) {}

  // kConflict "name_conflict" when the name holds another container's address, "attached_elsewhere"
  // when the id and interface are attached to another network; kBadInput "reserved_name" for the
  // agent's own names.
  boost::asio::awaitable<Result<proto::cni::Attachment>> add(const std::string& container_id, const std::string& ifname,
                                                             const proto::cni::AttachRequest& request);
  // kNotFound "unknown_attachment"; kConflict "attachment_broken" saying what differs from the
  // registry or the kernel.
  boost::asio::awaitable<Result<proto::cni::Attachment>> check(const std::string& container_id,
                                                               const std::string& ifname, const std::string& netns);
  // `name`: what the runtime's arguments name it, for an add that crashed before its pair existed.
  boost::asio::awaitable<Status> del(const std::string& container_id, const std::string& ifname,
                                     const std::string& name);
  // The names released.
  boost::asio::awaitable<Result<std::vector<std::string>>> gc(const proto::cni::GcRequest& request);

  // The attachments on this host as the agent lists its containers: the host end stands for the
  // container id, the image is "cni" and the status "attached".
  boost::asio::awaitable<Result<std::vector<proto::Container>>> list();

  // The attachments on this host by network, from the kernel alone (no IPAM call: for metrics).
  Result<std::map<std::string, size_t>> count_by_network();

  // What the attachments on this host hold, from the kernel alone: their names, which no orphan
  // check may release (those of adds in flight are claimed), with their networks, MACs and
  // addresses (empty for attachments made before the kernel kept them), for the reconciler to
  // reserve again should the registry lose them.
  Result<std::vector<proto::Endpoint>> attached();
  // Whether an attachment on this host holds `name`.
  Result<bool> holds(const std::string& name);

  // What names an attachment on this host, from its container id and interface.
  static std::string host_interface_of(const std::string& container_id, const std::string& ifname);
  static std::string mac_of(const std::string& container_id, const std::string& ifname);

 private:
  // An attachment made before labels named the configuration and MAC has both empty: no GC can
  // judge it, and only its DEL or its namespace's end releases it.
  struct Label {
    std::string network;
    std::string name;
    std::string config;
    std::string mac;
  };
  struct Labelled {
    std::string host_interface;
    Label label;
    Ipv4 address;  // 0.0.0.0: not kept
  };
  static std::string label_of(const Label& label);
  static std::optional<Label> parse_label(const std::string& text);
  // The host ends here that carry a label of ours, with what it says.
  Result<std::vector<Labelled>> attachments_here();
  std::optional<Label> label_at(const std::string& host_interface);
  proto::cni::Attachment attachment_of(const std::string& container_id, const std::string& ifname,
                                       const std::string& netns, const Label& label, const NetworkSetup& setup,
                                       const proto::Endpoint& endpoint) const;
  VethSpec veth_of(const proto::cni::Attachment& attachment, const std::string& config, const NetworkSetup& setup) const;
  boost::asio::awaitable<Result<proto::cni::Attachment>> attach(const std::string& container_id,
                                                                const std::string& ifname,
                                                                const proto::cni::AttachRequest& request,
                                                                const NetworkSetup& setup);
  boost::asio::awaitable<Status> release_if_ours(const std::string& name, const std::string& mac);
  // Whether a reservation of `name` with no MAC is an add's that died half-way: Docker (whose
  // containers record their MACs only once they run) has no container of that name.
  boost::asio::awaitable<bool> left_by_an_add(const std::string& name);
  // The attachment and its name, or kUnavailable "busy".
  Result<NameClaims::Claim> claim(const std::string& host_interface, const std::string& name);

  const AgentIdentity& self_;
  ipam::IpamClient& ipam_;
  HostNetworks& networks_;
  Sandboxes& sandboxes_;
  NameClaims& claims_;
  Runtime& runtime_;
};

}  // namespace vx::agent
