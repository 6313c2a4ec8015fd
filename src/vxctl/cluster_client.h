// vxctl's view of the cluster: the IPAM at one address, and each host's agent at the URL the host
// registered with the IPAM. Calls block, each under its own deadline. Errors are the daemons' own
// ({"error", "detail"} with the kind their status maps to); a daemon that does not answer is
// kUnavailable, with a sentence that says which one and how to point vxctl elsewhere.
#pragma once

#include <boost/json/value.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/http_client.h"

namespace vx::ctl {

struct ClusterOptions {
  std::string ipam_url = "http://127.0.0.1:8000";
  std::string token;  // sent to every daemon when not empty
  std::chrono::milliseconds timeout{5000};
};

// Where a container lives: its registry record and the agent of its host.
struct Placement {
  boost::json::value record;  // {"container_name","ip_address","host_id"}
  std::string host_id;
  std::string agent_url;
};

class ClusterClient {
 public:
  // kBadInput when the IPAM's URL is not http://HOST[:PORT].
  static Result<ClusterClient> connect(ClusterOptions options);

  const std::string& ipam_url() const { return options_.ipam_url; }

  Result<boost::json::value> ipam(const std::string& method, const std::string& target, std::string body = {});

  // Calls go to the agent of `host_id`, found in the IPAM's host list (kNotFound "unknown_host").
  Result<std::string> agent_url_of(const std::string& host_id);
  // kNotFound "unknown_container" when the registry holds no such name.
  Result<Placement> locate(const std::string& container_name);
  // `timeout` overrides the default for calls that may take long (creating a container).
  Result<boost::json::value> agent(const std::string& agent_url, const std::string& method,
                                   const std::string& target, std::string body = {},
                                   std::chrono::milliseconds timeout = {});

  // The same GET to several agents at once, so that one silent host costs one timeout, not one
  // per host. Answers come back in the order of `agent_urls`.
  std::vector<Result<boost::json::value>> agents_get(const std::vector<std::string>& agent_urls,
                                                     const std::string& target);

 private:
  ClusterClient(ClusterOptions options, HttpEndpoint ipam) : options_(std::move(options)), ipam_(std::move(ipam)) {}

  HttpCall make_call(const std::string& method, const std::string& target, std::string body,
                     std::chrono::milliseconds timeout) const;

  ClusterOptions options_;
  HttpEndpoint ipam_;
};

}  // namespace vx::ctl
