#include "cni/plugin.h"

#include <boost/json.hpp>

#include <algorithm>
#include <optional>

#include "cni/chain.h"
#include "common/split.h"
#include "proto/names.h"

namespace vx::cni {

namespace json = boost::json;
namespace cni = proto::cni;

namespace {

constexpr size_t kDefaultNameIdLength = 12;

// The version errors are written in: the configuration's when it was read, else the newest.
std::string error_version(const std::string& conf_version) {
  return conf_version.empty() ? std::string(cni::kVersions[std::size(cni::kVersions) - 1]) : conf_version;
}

Outcome failure(const std::string& version, int code, const std::string& msg, const std::string& details = "") {
  return {1, json::serialize(cni::error_of(error_version(version), code, msg, details)) + "\n"};
}

// The spec's code for what the agent answered.
int code_of(const Error& error) {
  switch (error.kind) {
    case ErrorKind::kUnavailable:
      return cni::kTryAgainLater;
    case ErrorKind::kBadInput:
      return cni::kInvalidEnvironment;
    case ErrorKind::kNotFound:
      if (error.code == "unknown_network") return cni::kInvalidConfig;
      return cni::kUnknownContainer;
    default:
      return cni::kAgentRefused;
  }
}

Outcome agent_failure(const std::string& version, const std::string& doing, const Error& error) {
  return failure(version, code_of(error), doing + ": " + error.detail, error.code);
}

std::string arg(const Invocation& call, const std::string& key) {
  auto found = call.args.find(key);
  return found == call.args.end() ? std::string() : found->second;
}

// Kubernetes names a pod within its namespace: "web" in two namespaces is two pods, so its
// registry (and DNS) name is "POD.NAMESPACE".
std::string name_of(const Invocation& call) {
  if (std::string name = arg(call, "VXLAN_NAME"); !name.empty()) return name;
  if (std::string pod = arg(call, "K8S_POD_NAME"); !pod.empty()) {
    std::string space = arg(call, "K8S_POD_NAMESPACE");
    return space.empty() ? pod : pod + "." + space;
  }
  return "cni-" + call.container_id.substr(0, kDefaultNameIdLength);
}

// What each command needs from the environment, checked before the agent is asked anything.
Status check_invocation(const Invocation& call, bool needs_netns) {
  if (Status id = cni::validate_container_id(call.container_id); !id) return id;
  if (Status ifname = cni::validate_ifname(call.ifname); !ifname) return ifname;
  if (needs_netns) {
    if (Status netns = cni::validate_netns_path(call.netns); !netns) return netns;
  }
  return proto::validate_container_name(name_of(call));
}

// DEL must succeed as far as it can: a name no ADD could have used names nothing to release.
std::string name_to_release(const Invocation& call) {
  std::string name = name_of(call);
  return proto::validate_container_name(name) ? name : std::string();
}

// CHECK: the address the runtime was given must still be the attachment's.
Status check_previous(const cni::NetConf& conf, const cni::Attachment& attachment) {
  if (!conf.prev_result) return bad_input("missing_prev_result", "CHECK needs the prevResult of the ADD");
  std::string expected = attachment.address + "/" + std::to_string(attachment.prefix_length);
  const json::value* ips = conf.prev_result->if_contains("ips");
  if (ips != nullptr && ips->is_array()) {
    for (const auto& ip : ips->get_array()) {
      const json::value* address = ip.is_object() ? ip.get_object().if_contains("address") : nullptr;
      if (address != nullptr && address->is_string() && address->get_string() == expected) return Ok{};
    }
  }
  return conflict("prev_result_differs", "the attachment's address is " + expected + ", which prevResult lacks");
}

// Chained after other plugins, the result is theirs with ours added (chain.h); a prevResult that
// is not the spec's is refused before the agent is asked anything.
Outcome add(const cni::NetConf& conf, const Invocation& call, AgentCalls& agent) {
  std::optional<PreviousResult> previous;
  if (conf.prev_result) {
    auto read = read_previous(*conf.prev_result);
    if (!read) return failure(conf.cni_version, cni::kInvalidConfig, read.error().detail, "prevResult");
    previous = std::move(*read);
  }
  bool default_route = !previous || !routes_by_default(*previous);
  cni::AttachRequest request{call.netns, conf.network, name_of(call), conf.name, default_route};
  auto attached = agent.add(call.container_id, call.ifname, request);
  if (!attached) return agent_failure(conf.cni_version, "attaching to " + conf.network, attached.error());
  json::object result = cni::result_of(*attached, conf.cni_version, default_route);
  if (previous) result = chained(*previous, std::move(result));
  return {0, json::serialize(result) + "\n"};
}

Outcome check(const cni::NetConf& conf, const Invocation& call, AgentCalls& agent) {
  auto checked = agent.check(call.container_id, call.ifname, call.netns);
  if (!checked) return agent_failure(conf.cni_version, "checking the attachment", checked.error());
  if (Status same = check_previous(conf, *checked); !same) {
    return failure(conf.cni_version, cni::kAgentRefused, same.error().detail, same.error().code);
  }
  return {0, ""};
}

Outcome del(const cni::NetConf& conf, const Invocation& call, AgentCalls& agent) {
  if (Status done = agent.del(call.container_id, call.ifname, name_to_release(call)); !done) {
    return agent_failure(conf.cni_version, "detaching", done.error());
  }
  return {0, ""};
}

// Without the runtime's list, every attachment would look stale: GC refuses rather than guess.
Outcome gc(const cni::NetConf& conf, AgentCalls& agent) {
  if (!conf.valid_attachments) {
    return failure(conf.cni_version, cni::kInvalidConfig, "GC needs the attachments to keep, in cni.dev/valid-attachments",
                   "cni.dev/valid-attachments");
  }
  for (const auto& kept : *conf.valid_attachments) {
    Status valid = cni::validate_container_id(kept.container_id);
    if (valid) valid = cni::validate_ifname(kept.ifname);
    if (!valid) return failure(conf.cni_version, cni::kInvalidConfig, valid.error().detail, "cni.dev/valid-attachments");
  }
  if (Status done = agent.gc({conf.name, *conf.valid_attachments}); !done) {
    return agent_failure(conf.cni_version, "collecting garbage", done.error());
  }
  return {0, ""};
}

Outcome status(const cni::NetConf& conf, AgentCalls& agent) {
  if (Status healthy = agent.health(); !healthy) {
    return failure(conf.cni_version, cni::kNotAvailable, "the agent cannot attach containers now: " + healthy.error().detail,
                   healthy.error().code);
  }
  return {0, ""};
}

// The spec's code for a configuration that failed to read.
int conf_code(const Error& error) {
  if (error.code == "incompatible_version") return cni::kIncompatibleVersion;
  if (error.code == "invalid_json") return cni::kDecodeFailure;
  return cni::kInvalidConfig;
}

}  // namespace

Result<Invocation> invocation_from(const std::map<std::string, std::string>& environment) {
  auto get = [&environment](const char* key) {
    auto found = environment.find(key);
    return found == environment.end() ? std::string() : found->second;
  };
  Invocation call{get("CNI_COMMAND"), get("CNI_CONTAINERID"), get("CNI_NETNS"), get("CNI_IFNAME"), {}};
  std::string args = get("CNI_ARGS");
  for (std::string_view pair : split(args, ';')) {
    if (pair.empty()) continue;
    auto equals = pair.find('=');
    if (equals == std::string_view::npos || equals == 0) {
      return bad_input("invalid_environment",
                       "CNI_ARGS must be K=V pairs separated by ';', not '" + std::string(pair) + "'");
    }
    call.args[std::string(pair.substr(0, equals))] = std::string(pair.substr(equals + 1));
  }
  return call;
}

Outcome run(const std::map<std::string, std::string>& environment, const std::string& stdin_text, Connect connect) {
  auto call = invocation_from(environment);
  if (!call) return failure("", cni::kInvalidEnvironment, call.error().detail, call.error().code);
  if (call->command == "VERSION") return {0, json::serialize(cni::version_answer()) + "\n"};
  static const std::vector<std::string> kCommands = {"ADD", "DEL", "CHECK", "STATUS", "GC"};
  if (std::find(kCommands.begin(), kCommands.end(), call->command) == kCommands.end()) {
    return failure("", cni::kInvalidEnvironment,
                   "CNI_COMMAND is '" + call->command + "', not one of ADD, DEL, CHECK, VERSION, STATUS, GC");
  }
  auto conf = cni::parse_net_conf(stdin_text);
  if (!conf) return failure("", conf_code(conf.error()), conf.error().detail, conf.error().code);
  bool per_attachment = call->command == "ADD" || call->command == "DEL" || call->command == "CHECK";
  if (per_attachment) {
    bool del = call->command == "DEL";
    if (Status valid = check_invocation(*call, !del); !valid && !(del && valid.error().code == "invalid_name")) {
      return failure(conf->cni_version, cni::kInvalidEnvironment, valid.error().detail, valid.error().code);
    }
  }
  if (conf->cni_version == "1.0.0" && (call->command == "STATUS" || call->command == "GC")) {
    return failure(conf->cni_version, cni::kIncompatibleVersion, call->command + " needs cniVersion 1.1.0");
  }
  auto agent = connect(*conf);
  if (!agent) return failure(conf->cni_version, cni::kInvalidConfig, agent.error().detail, agent.error().code);
  if (call->command == "ADD") return add(*conf, *call, **agent);
  if (call->command == "DEL") return del(*conf, *call, **agent);
  if (call->command == "CHECK") return check(*conf, *call, **agent);
  if (call->command == "GC") return gc(*conf, **agent);
  return status(*conf, **agent);
}

}  // namespace vx::cni
