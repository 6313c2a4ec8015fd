// A small HTTP/1.1 client over TCP or a unix socket: one request per connection, a deadline on the
// whole exchange (resolve, connect, write, read), and every failure returned as an Error of kind
// kUnavailable "unreachable" that names the peer and the step that failed. Any HTTP answer, 2xx or
// not, is a successful exchange for the caller to interpret. The agent and vxctl use it to talk to
// the IPAM, the agent to talk to Docker; tests use it to talk to the daemons.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/http_types.h"

namespace vx {

// The longest unix socket path the kernel can connect to: sockaddr_un's sun_path less its NUL.
inline constexpr size_t kMaxUnixSocketPath = 107;

// Where a server listens: TCP `host`:`port`, or the unix socket at `socket_path` when that is set.
// Either way `host` is what the request sends as its Host header.
struct HttpEndpoint {
  std::string host;
  uint16_t port = 80;
  // Initialized so that callers may go on writing HttpEndpoint{host, port} under -Wextra.
  std::string socket_path = {};

  // A path is no host name (Docker refuses one as Host), so the request names "localhost", as
  // curl --unix-socket does.
  static HttpEndpoint unix_socket(std::string path) { return {"localhost", 0, std::move(path)}; }

  // "HOST:PORT", or "unix:///PATH" for a unix socket.
  std::string to_string() const {
    return socket_path.empty() ? host + ":" + std::to_string(port) : "unix://" + socket_path;
  }
};

// "http://HOST[:PORT]" with an optional trailing '/'.
Result<HttpEndpoint> parse_http_url(std::string_view url);

// One or more such URLs, separated by commas: the replicas of one service.
Result<std::vector<HttpEndpoint>> parse_http_urls(std::string_view urls);

struct HttpCall {
  std::string method = "GET";
  std::string target = "/";
  std::string body;  // sent as application/json when not empty
  std::chrono::milliseconds timeout{5000};
  std::string token;  // sent as "Authorization: Bearer TOKEN" when not empty
  std::string instance = {};  // sent as kInstanceHeader when not empty
  // The longest answer body accepted; a longer one makes the read fail.
  size_t body_limit = 64 * 1024 * 1024;
};

boost::asio::awaitable<Result<HttpResponse>> http_call(boost::asio::any_io_executor executor,
                                                       HttpEndpoint endpoint, HttpCall call);

// A failure of http_call worded for the daemon it could not reach, as people read it:
// kUnavailable "unreachable", "PEER does not answer (WHY)".
Error peer_unreachable(const std::string& peer, const Error& failure);

// The same on a private io_context, for callers without one.
Result<HttpResponse> http_call_blocking(const HttpEndpoint& endpoint, HttpCall call);

}  // namespace vx
