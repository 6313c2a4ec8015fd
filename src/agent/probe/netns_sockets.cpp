#include "agent/probe/netns_sockets.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "agent/probe/on_thread.h"

namespace vx::agent {

namespace {

Error failed(const std::string& step) {
  return unavailable("netns_failed", step + ": " + std::strerror(errno));
}

// Runs on a thread that ends right after: setns() changes the calling thread for good.
Result<std::vector<UniqueFd>> open_in_netns(int pid, int type, int protocol, int count) {
  std::string path = "/proc/" + std::to_string(pid) + "/ns/net";
  UniqueFd netns(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!netns) return failed("open " + path);
  if (::setns(netns.get(), CLONE_NEWNET) != 0) return failed("enter the network namespace " + path);
  std::vector<UniqueFd> sockets;
  for (int i = 0; i < count; ++i) {
    UniqueFd socket(::socket(AF_INET, type | SOCK_CLOEXEC, protocol));
    if (!socket) return failed("create a socket in the network namespace of process " + std::to_string(pid));
    sockets.push_back(std::move(socket));
  }
  return sockets;
}

}  // namespace

boost::asio::awaitable<Result<std::vector<UniqueFd>>> sockets_in_netns(int pid, int type, int protocol, int count) {
  co_return co_await run_on_thread([=] { return open_in_netns(pid, type, protocol, count); });
}

}  // namespace vx::agent
