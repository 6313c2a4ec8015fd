// The wire of the CNI plugin (the vxlan-cni binary, src/cni): what a container runtime hands it
// (CNI spec 1.0.0 and 1.1.0: a network configuration on stdin, the rest in CNI_* variables), what
// it answers on stdout, and the agent's CNI API it drives (agent/cni/cni_api.h):
//   PUT    /cni/{container_id}/{ifname}   AttachRequest -> Attachment (ADD; the same ADD again
//                                          answers the same attachment)
//   GET    /cni/{container_id}/{ifname}   the Attachment, checked against the kernel and the
//                                          registry (CHECK); 404 when there is none
//   DELETE /cni/{container_id}/{ifname}   (DEL) 200 whether or not there was one
//   POST   /cni/gc                         GcRequest (GC): releases this host's attachments made
//                                          with that network configuration that are not in the list
// Requests that fail to decode are kBadInput naming the field; answers that fail are kInternal
// "bad_answer".
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace vx::proto::cni {

inline constexpr std::string_view kPluginType = "vxlan-cni";
// The versions whose configuration and result the plugin speaks, oldest first.
inline constexpr std::string_view kVersions[] = {"1.0.0", "1.1.0"};
bool is_supported_version(std::string_view version);

// The spec's well-known error codes the plugin answers with, and one of its own.
enum Code : int {
  kIncompatibleVersion = 1,
  kUnsupportedField = 2,
  kUnknownContainer = 3,
  kInvalidEnvironment = 4,
  kIoFailure = 5,
  kDecodeFailure = 6,
  kInvalidConfig = 7,
  kTryAgainLater = 11,
  kNotAvailable = 50,  // STATUS: the plugin cannot serve ADD now
  kAgentRefused = 100, // the agent refused the request; "details" has its reason
};

// A runtime's container id and interface: what names one attachment. Ids are what the spec allows
// ([A-Za-z0-9][A-Za-z0-9_.-]*, at most 256 characters here); interface names are Linux's (1 to 15
// characters, none of '/', ':', or white space, and neither "." nor "..").
Status validate_container_id(std::string_view id);
Status validate_ifname(std::string_view ifname);
// Where runtimes keep a network namespace: a process's (/proc/PID/ns/net, /proc/PID/task/TID/ns/net)
// or a file bound under /run/netns or /var/run/netns (ip netns, containerd, CRI-O, podman).
// Nothing else is ever opened: the agent runs as root, and opening a device can arm or rewind it.
// kBadInput "invalid_netns" otherwise.
Status validate_netns_path(std::string_view path);

// The network configuration on stdin. Of the spec's fields only cniVersion, name and type are
// read; the name ([A-Za-z0-9][A-Za-z0-9_.-]*, as the spec has it, at most 64 characters here) is
// what GC collects by. `network` is the cluster network to attach to (the default network when
// absent), `agent_url` the local agent (http://127.0.0.1:8001 when absent), `token_file` a file
// holding the cluster's token when the agent wants one. GC's list of attachments to keep comes in
// "cni.dev/valid-attachments", or in "cni.dev/attachments", the name an earlier text of the spec
// gave it (libcni sends both); none at all is not an empty list. CHECK's previous result comes in
// "prevResult".
struct NetConf {
  std::string cni_version;
  std::string name;
  std::string network;
  std::string agent_url = "http://127.0.0.1:8001";
  std::string token_file;
  struct Kept {
    std::string container_id;
    std::string ifname;
  };
  std::optional<std::vector<Kept>> valid_attachments;
  std::optional<boost::json::object> prev_result;
};
// kBadInput "invalid_json" for what is not JSON, "invalid_config" (naming the field) for a
// configuration that is not one of ours, "incompatible_version" for a cniVersion not spoken.
Result<NetConf> parse_net_conf(std::string_view text);

// PUT /cni/{container_id}/{ifname}: the namespace (a path to its file, CNI_NETNS), the network,
// the name the container goes by in the registry and the cluster's DNS, the name of the
// runtime's network configuration, which GC names again, and whether the namespace's default
// route goes through the network's gateway (not when a plugin before this one in a chain set one:
// the kernel refuses a second).
struct AttachRequest {
  std::string netns;
  std::string network;
  std::string name;
  std::string config;
  bool default_route = true;
};
// The name of a network configuration goes into the kernel's label of each attachment, where room
// is short.
inline constexpr size_t kMaxConfigName = 64;
Status validate_config_name(std::string_view name);

// One network namespace attached to a cluster network: its interface `ifname` with `mac` and
// `address`/`prefix_length`, the veth's other end `host_interface` on the network's bridge, and
// the gateway that routes and answers names (DNS on port 53).
struct Attachment {
  std::string container_id;
  std::string ifname;
  std::string netns;
  std::string name;
  std::string network;
  std::string host_interface;
  std::string mac;
  std::string address;
  int prefix_length = 0;
  std::string gateway;
  int mtu = 0;
};

// POST /cni/gc: the runtime's network configuration and the attachments of it to keep.
struct GcRequest {
  std::string config;
  std::vector<NetConf::Kept> valid;
};

boost::json::object to_json(const AttachRequest& request);
boost::json::object to_json(const Attachment& attachment);
boost::json::object to_json(const GcRequest& request);
Result<AttachRequest> parse_attach_request(std::string_view body);
// Each kept attachment's id and interface are checked as validate_container_id and
// validate_ifname check them.
Result<GcRequest> parse_gc_request(std::string_view body);
Result<Attachment> parse_attachment(const boost::json::value& answer);

// The spec's result of ADD (and CHECK's prevResult): the interfaces, the address with its
// gateway, the default route (if the attachment has it) and the name server, in `version`'s format.
boost::json::object result_of(const Attachment& attachment, std::string_view version, bool default_route);
// The spec's error: {"cniVersion", "code", "msg", "details"}.
boost::json::object error_of(std::string_view version, int code, std::string_view msg, std::string_view details);
// VERSION's answer.
boost::json::object version_answer();

}  // namespace vx::proto::cni
