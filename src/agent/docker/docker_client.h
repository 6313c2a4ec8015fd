// The Docker Engine API over the daemon's unix socket, on the common HTTP client: one request per
// connection, the whole exchange bounded by a deadline, the API version (/v1.41) put in front of
// every path. Any HTTP answer is a successful exchange, for the caller to interpret; a socket that
// cannot be reached, a broken exchange or a missed deadline is kUnavailable "docker_unavailable",
// naming the socket. The client keeps no state between calls, so calls may run concurrently.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <string>
#include <string_view>

#include "common/error.h"
#include "common/http_types.h"

namespace vx::agent {

// "unix:///var/run/docker.sock" -> "/var/run/docker.sock". Only unix sockets are supported.
Result<std::string> parse_docker_url(std::string_view url);

// Whatever status the daemon answers with, and its body, JSON for the runtime to read.
using DockerResponse = HttpResponse;

class DockerClient {
 public:
  using Clock = std::chrono::steady_clock;

  DockerClient(boost::asio::any_io_executor executor, std::string socket_path);

  // `target` is the path and query after the version: "/containers/json?all=true". A non-empty
  // body is sent as JSON.
  boost::asio::awaitable<Result<DockerResponse>> call(std::string method, std::string target,
                                                      std::string body, Clock::time_point deadline) const;

  const std::string& socket_path() const { return socket_path_; }

 private:
  boost::asio::any_io_executor executor_;
  std::string socket_path_;
};

}  // namespace vx::agent
