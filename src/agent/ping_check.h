// A reachability check from one of this host's containers (POST /container/{name}/ping). It finds
// the container (kNotFound "unknown_container" unless this host manages it; kConflict
// "not_running" unless it runs), resolves a target name through the IPAM (kNotFound
// "unknown_target" when no container of that name holds an address), then has the Prober probe
// from the container's namespace and overlay address. Docker or the IPAM not answering, and a
// probe that cannot be set up, are kUnavailable with the reason. Lost probes are an outcome, not
// an error. Each check is logged at info. Nothing changes state.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <string>

#include "agent/container_service.h"
#include "ipam/client/ipam_client.h"
#include "proto/agent.h"
#include "agent/prober.h"

namespace vx::agent {

struct PingResult {
  std::string container_name;
  Ipv4 source;     // the container's overlay address
  Ipv4 target_ip;  // the target's address, given or resolved
  ProbeReport report;
};

class PingCheck {
 public:
  PingCheck(ContainerService& containers, ipam::IpamClient& ipam, Prober& prober)
      : containers_(containers), ipam_(ipam), prober_(prober) {}

  // `name` must be a valid container name.
  boost::asio::awaitable<Result<PingResult>> run(const std::string& name, const proto::PingRequest& request);

 private:
  boost::asio::awaitable<Result<Ipv4>> resolve(const proto::PingRequest& request);

  ContainerService& containers_;
  ipam::IpamClient& ipam_;
  Prober& prober_;
};

}  // namespace vx::agent
