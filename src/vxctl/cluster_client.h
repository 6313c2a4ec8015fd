// vxctl's view of the cluster: the IPAM at one address, and each host's agent at the URL the host
// registered with the IPAM. Calls block, each under its own deadline. Errors are the daemons' own
// ({"error", "detail"} with the kind their status maps to); a daemon that does not answer is
// kUnavailable, with a sentence that says which one and how to point vxctl elsewhere.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/http_client.h"
#include "ipam/client/http_ipam_client.h"
#include "proto/agent.h"

namespace vx::ctl {

struct ClusterOptions {
  std::string ipam_url = "http://127.0.0.1:8000";
  std::string token;  // sent to every daemon when not empty
  std::chrono::milliseconds timeout{5000};
};

// Where a container lives: its registry record and the agent of its host.
struct Placement {
  proto::Endpoint record;
  std::string agent_url;
};

class ClusterClient {
 public:
  // kBadInput when the IPAM's URL is not http://HOST[:PORT].
  static Result<ClusterClient> connect(ClusterOptions options);

  // The IPAM's answers (proto/ipam.h).
  Result<std::vector<proto::HostStatus>> hosts();
  Result<std::vector<proto::Endpoint>> containers();
  Result<proto::PoolStats> stats(const std::string& network = std::string(proto::kDefaultNetwork));
  Result<proto::NameCheck> check(const std::string& name);
  Result<proto::HostRemoval> remove_host(const std::string& host_id);
  // The overlay networks (kNotFound "unknown_network" for a name the IPAM does not hold).
  Result<std::vector<proto::NetworkStatus>> networks();
  Result<proto::NetworkStatus> network(const std::string& name);
  // The network, whether this call created it or it existed already, identical.
  Result<proto::NetworkStatus> create_network(const proto::NetworkRequest& request);
  Status delete_network(const std::string& name);
  // The change feed (proto/peers.h): without `since`, the snapshot; with it, the changes after it,
  // waiting up to `wait` for one.
  Result<proto::Update> watch(std::optional<uint64_t> since, std::chrono::milliseconds wait);

  // Calls go to the agent of `host_id`, found in the IPAM's host list (kNotFound "unknown_host").
  Result<std::string> agent_url_of(const std::string& host_id);
  // kNotFound "unknown_container" when the registry holds no such name.
  Result<Placement> locate(const std::string& container_name);

  // The agents' answers (proto/agent.h).
  Result<proto::Container> create(const std::string& agent_url, const proto::CreateRequest& request);
  Result<proto::Container> remove(const std::string& agent_url, const std::string& name);
  Result<proto::Container> container(const std::string& agent_url, const std::string& name);
  Result<proto::PingReport> ping(const std::string& agent_url, const std::string& name,
                                 const proto::PingRequest& request);
  // Several agents asked at once, so that one silent host costs one timeout, not one per host.
  // Answers come back in the order of `agent_urls`.
  std::vector<Result<std::vector<proto::Container>>> containers_of(const std::vector<std::string>& agent_urls);
  // The same for each host's VXLAN forwarding entries, and for a repair pass of each (POST /sync).
  std::vector<Result<std::vector<proto::ForwardingEntry>>> forwarding_of(const std::vector<std::string>& agent_urls);
  std::vector<Status> sync(const std::vector<std::string>& agent_urls);

 private:
  // `timeout` overrides the default for calls that may take long (creating a container).
  Result<boost::json::value> agent(const std::string& agent_url, const std::string& method,
                                   const std::string& target, std::string body = {},
                                   std::chrono::milliseconds timeout = {});

  ClusterClient(ClusterOptions options, std::vector<HttpEndpoint> replicas);

  // One call to each agent at once; answers in the order of `agent_urls`.
  std::vector<Result<boost::json::value>> ask_each(const std::vector<std::string>& agent_urls,
                                                   const std::string& method, const std::string& target);
  template <typename Parse>
  auto ask_each_parsed(const std::vector<std::string>& agent_urls, const std::string& method,
                       const std::string& target, Parse parse) -> std::vector<decltype(parse(boost::json::value()))>;

  // Runs one of the IPAM client's calls to its end, and words its failure for people.
  template <typename T>
  Result<T> ask_ipam(boost::asio::awaitable<Result<T>> call);

  HttpCall make_call(const std::string& method, const std::string& target, std::string body,
                     std::chrono::milliseconds timeout) const;

  ClusterOptions options_;
  std::unique_ptr<boost::asio::io_context> io_;
  std::unique_ptr<ipam::HttpIpamClient> ipam_;
};

}  // namespace vx::ctl
