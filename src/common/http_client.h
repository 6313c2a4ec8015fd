// A small HTTP/1.1 client: one request per connection, a deadline on the whole exchange (resolve,
// connect, write, read), and every failure returned as an Error of kind kUnavailable that names
// the peer. The agent and vxctl use it to talk to the IPAM; tests use it to talk to the daemons.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <string>
#include <string_view>

#include "common/error.h"
#include "common/http_types.h"

namespace vx {

struct HttpEndpoint {
  std::string host;
  uint16_t port = 80;
  std::string to_string() const { return host + ":" + std::to_string(port); }
};

// "http://HOST[:PORT]" with an optional trailing '/'.
Result<HttpEndpoint> parse_http_url(std::string_view url);

struct HttpCall {
  std::string method = "GET";
  std::string target = "/";
  std::string body;  // sent as application/json when not empty
  std::chrono::milliseconds timeout{5000};
  std::string token;  // sent as "Authorization: Bearer TOKEN" when not empty
};

boost::asio::awaitable<Result<HttpResponse>> http_call(boost::asio::any_io_executor executor,
                                                       HttpEndpoint endpoint, HttpCall call);

// The same on a private io_context, for callers without one.
Result<HttpResponse> http_call_blocking(const HttpEndpoint& endpoint, HttpCall call);

}  // namespace vx
