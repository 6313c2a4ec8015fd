// Reachability checks sent from inside a container's network namespace, as if the container itself
// sent them. probe() sends options.count probes to `target`, one after the other, from
// options.source (the container's own address there), and waits at most options.timeout for each
// answer. A probe starts kProbeInterval after the previous one started, or as soon as that one
// ended if it took longer. Without options.port a probe is an ICMP echo request, answered by the
// matching echo reply. With options.port it is a TCP connect, answered when the connection opens;
// a refused connection is no answer. Lost probes are part of the report, not errors. The only
// error is kUnavailable "probe_failed", with the reason: the namespace of process `pid` cannot be
// entered, or the sockets cannot be set up there (the source address is not the namespace's, say).
// The real one is probe/netns_prober.h; tests may use a fake.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <numeric>
#include <optional>
#include <vector>

#include "common/error.h"
#include "common/ipv4.h"

namespace vx::agent {

inline constexpr std::chrono::milliseconds kProbeInterval{200};  // as `ping -i 0.2`

struct ProbeOptions {
  Ipv4 source;
  int count = 3;
  std::chrono::milliseconds timeout{1000};  // per probe
  std::optional<uint16_t> port;             // TCP connects to this port instead of ICMP echoes
};

struct ProbeReport {
  int sent = 0;
  std::vector<double> rtt_ms;  // one per answered probe, in the order sent

  int received() const { return static_cast<int>(rtt_ms.size()); }
  std::optional<double> average_rtt_ms() const {
    if (rtt_ms.empty()) return std::nullopt;
    return std::accumulate(rtt_ms.begin(), rtt_ms.end(), 0.0) / static_cast<double>(rtt_ms.size());
  }
};

class Prober {
 public:
  virtual ~Prober() = default;

  virtual boost::asio::awaitable<Result<ProbeReport>> probe(int pid, Ipv4 target, ProbeOptions options) = 0;
};

}  // namespace vx::agent
