// The vxlan-cni plugin, as a container runtime runs it (CNI spec 1.0.0 and 1.1.0): the command and
// the attachment in CNI_* variables, the network configuration on stdin, the result or the spec's
// error JSON on stdout, and a non-zero exit with an error. Everything an attachment needs is done
// by the host's agent (agent/cni/cni_service.h), which the plugin drives through the seam below:
// the plugin itself checks what the runtime gave, maps the agent's answers to the spec's, and
// keeps no state. The agent's name for the container comes from CNI_ARGS (VXLAN_NAME, else
// K8S_POD_NAME), else it is "cni-" and the container id's first 12 characters.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/error.h"
#include "proto/cni.h"

namespace vx::cni {

// The agent's CNI API (proto/cni.h). Errors keep the agent's kind and code; an agent that does
// not answer is kUnavailable.
class AgentCalls {
 public:
  virtual ~AgentCalls() = default;
  virtual Result<proto::cni::Attachment> add(const std::string& container_id, const std::string& ifname,
                                             const proto::cni::AttachRequest& request) = 0;
  virtual Result<proto::cni::Attachment> check(const std::string& container_id, const std::string& ifname,
                                               const std::string& netns) = 0;
  virtual Status del(const std::string& container_id, const std::string& ifname, const std::string& name) = 0;
  virtual Status gc(const proto::cni::GcRequest& request) = 0;
  virtual Status health() = 0;  // kUnavailable with the reasons when the agent is not healthy
};

// What the runtime set: CNI_COMMAND, CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME, CNI_ARGS.
struct Invocation {
  std::string command;
  std::string container_id;
  std::string netns;
  std::string ifname;
  std::map<std::string, std::string> args;  // CNI_ARGS "K=V;K=V"
};
// kBadInput "invalid_environment" for a CNI_ARGS that is not "K=V;K=V".
Result<Invocation> invocation_from(const std::map<std::string, std::string>& environment);

struct Outcome {
  int exit_code = 0;
  std::string out;  // what goes to stdout: a result, an error, or nothing
};

// One run of the plugin. `connect` makes the agent's client from the configuration (its URL and
// token), or fails with why.
using Connect = std::function<Result<std::unique_ptr<AgentCalls>>(const proto::cni::NetConf& conf)>;
Outcome run(const std::map<std::string, std::string>& environment, const std::string& stdin_text, Connect connect);


}  // namespace vx::cni
