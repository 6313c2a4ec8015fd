// The kernel side of a CNI attachment: a veth pair between this host and a network namespace the
// runtime made. The host end sits on a cluster network's bridge and carries a label (its ifalias)
// and the inside end's address (its group, a 32-bit number the kernel keeps with any link; the
// alias has no room left), which are all the state an attachment has on this host: they survive
// an agent restart, and a namespace that is deleted takes its veth, host end and label with it. The real
// one uses libnl (sandbox/netlink_sandboxes.h); tests may use a fake. Calls are local and
// synchronous; errors are values.
#pragma once

#include <string>
#include <vector>

#include "common/error.h"
#include "common/ipv4.h"

namespace vx::agent {

struct VethSpec {
  std::string netns;           // the namespace's file (/run/netns/NAME, /proc/PID/ns/net)
  std::string ifname;          // the interface inside it
  std::string host_interface;  // the end on this host
  std::string label;
  std::string mac;             // of the interface inside
  Ipv4 address;
  int prefix_length = 0;
  Ipv4 gateway;                // the default route inside goes through it
  int mtu = 0;
  std::string bridge;
  bool default_route = true;   // none when the namespace has one of another plugin's
};

struct HostEnd {
  std::string host_interface;
  std::string label;
  Ipv4 address;  // the inside end's; 0.0.0.0 for a pair made before the host end kept it
};

class Sandboxes {
 public:
  virtual ~Sandboxes() = default;

  // Creates the pair, the inside end named spec.ifname with the MAC, address, MTU and (if asked)
  // default route of the spec and up, with the namespace's loopback up; the host end on the bridge and up. All or
  // nothing: a failure takes the pair away again. kNotFound "unknown_netns" when the namespace's
  // file cannot be opened; kConflict "interface_exists" when either name is taken.
  virtual Status attach(const VethSpec& spec) = 0;
  // Deletes the pair through its host end; an absent one is Ok.
  virtual Status detach(const std::string& host_interface) = 0;
  // The host ends whose label starts with `prefix`.
  virtual Result<std::vector<HostEnd>> host_ends(const std::string& prefix) = 0;
  // Whether the pair is as `spec` says, inside and out: kConflict "attachment_broken" naming the
  // first thing that differs; kNotFound "unknown_netns" for a namespace that is gone.
  virtual Status check(const VethSpec& spec) = 0;
};

}  // namespace vx::agent
