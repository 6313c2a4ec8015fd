// Sockets opened inside the network namespace of another process (a container's main process),
// for the agent to use from its own threads: a socket stays in the namespace it was created in,
// whichever thread uses it later. Creating one needs a thread inside that namespace; the job runs
// on a fresh thread (on_thread.h) that enters it with setns(CLONE_NEWNET), creates the sockets and
// ends, so no thread of the agent ever stays in a container's namespace. Needs CAP_SYS_ADMIN and
// access to /proc/PID/ns/net, plus whatever the socket type needs (CAP_NET_RAW for raw sockets).
// Errors are kUnavailable "netns_failed", saying which step failed and why.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <utility>
#include <vector>

#include "common/error.h"
#include "common/unique_fd.h"

namespace vx::agent {

// `count` IPv4 sockets of socket(2)'s `type` and `protocol`, created in the network namespace of
// process `pid`.
boost::asio::awaitable<Result<std::vector<UniqueFd>>> sockets_in_netns(int pid, int type, int protocol, int count);

}  // namespace vx::agent
