// The Prober on the kernel, from inside the container: it creates its sockets in the network
// namespace of process `pid` (netns_sockets.h) and then drives them from the calling io_context,
// never blocking it. An ICMP check uses one raw ICMP socket (CAP_NET_RAW) bound to the source
// address; a TCP check one TCP socket per probe, each bound to the source address. Binding also
// proves that the namespace is the container's: in any other, the container's address is not
// local and the check fails with "probe_failed" instead of probing from the wrong place. Each
// check uses an echo identifier of its own, so that concurrent checks from one container never
// take each other's replies. No state is kept between checks besides that identifier.
#pragma once

#include <atomic>
#include <cstdint>

#include "agent/prober.h"

namespace vx::agent {

class NetnsProber final : public Prober {
 public:
  NetnsProber();

  boost::asio::awaitable<Result<ProbeReport>> probe(int pid, Ipv4 target, ProbeOptions options) override;

 private:
  boost::asio::awaitable<Result<ProbeReport>> echo(int pid, Ipv4 target, const ProbeOptions& options);
  boost::asio::awaitable<Result<ProbeReport>> connect(int pid, Ipv4 target, const ProbeOptions& options);

  std::atomic<uint16_t> next_identifier_;
};

}  // namespace vx::agent
