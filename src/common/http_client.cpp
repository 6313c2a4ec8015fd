#include "common/http_client.h"

#include "common/run_blocking.h"
#include "common/split.h"
#include "common/no_throw.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>
#include <sys/un.h>
#include <variant>

namespace vx {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using local = asio::local::stream_protocol;

static_assert(kMaxUnixSocketPath == sizeof(sockaddr_un::sun_path) - 1);

Result<HttpEndpoint> parse_http_url(std::string_view text) {
  auto invalid = [&] { return bad_input("invalid_url", "'" + std::string(text) + "' is not of the form http://HOST[:PORT]"); };
  // Boost.URL 1.81 fails an assertion on "SCHEME:" and a byte no path may hold (boostorg/url#665,
  // found by fuzz/urls): only text with the right scheme reaches it.
  if (!text.starts_with("http://")) return invalid();
  auto url = boost::urls::parse_absolute_uri(text);
  if (!url || url->host().empty() || !(url->path().empty() || url->path() == "/") || url->has_query()) {
    return invalid();
  }
  HttpEndpoint endpoint{url->host(), 80};
  if (url->has_port()) {
    if (url->port_number() == 0) return bad_input("invalid_url", "'" + std::string(text) + "' has a bad port");
    endpoint.port = url->port_number();
  }
  return endpoint;
}

Result<std::vector<HttpEndpoint>> parse_http_urls(std::string_view text) {
  std::vector<HttpEndpoint> out;
  for (std::string_view one : split(text, ',')) {
    auto endpoint = parse_http_url(one);
    if (!endpoint) return endpoint.error();
    out.push_back(std::move(*endpoint));
  }
  return out;
}

namespace {

using Clock = std::chrono::steady_clock;

// A TCP request reads best as its URL; a unix socket has no URL of its own, so it is named beside
// the target.
Error failed(const HttpEndpoint& endpoint, const HttpCall& call, std::string_view step, const beast::error_code& ec) {
  std::string request = endpoint.socket_path.empty()
                            ? call.method + " http://" + endpoint.to_string() + call.target
                            : call.method + " " + call.target + " on " + endpoint.to_string();
  return unavailable("unreachable", request + ": " + std::string(step) + " failed: " + ec.message());
}

// Name lookup under the call's deadline: the resolver has no timeout of its own, so it races a
// timer. An address literal needs no lookup at all.
asio::awaitable<std::variant<tcp::resolver::results_type, beast::error_code>> resolve_until(
    asio::any_io_executor executor, const HttpEndpoint& endpoint, Clock::time_point deadline) {
  using namespace asio::experimental::awaitable_operators;
  beast::error_code ec;
  auto literal = asio::ip::make_address(endpoint.host, ec);
  if (!ec) co_return tcp::resolver::results_type::create(tcp::endpoint(literal, endpoint.port), endpoint.host,
                                                         std::to_string(endpoint.port));
  tcp::resolver resolver(executor);
  asio::steady_timer timer(executor, deadline);
  auto first = co_await (resolver.async_resolve(endpoint.host, std::to_string(endpoint.port), kNoThrow) ||
                         timer.async_wait(kNoThrow));
  if (first.index() == 1) co_return beast::error_code(asio::error::timed_out);
  auto [resolve_ec, results] = std::get<0>(first);
  if (resolve_ec) co_return resolve_ec;
  co_return results;
}

// The request and its answer on a stream already connected, under the deadline the stream holds.
template <typename Stream>
asio::awaitable<Result<HttpResponse>> exchange(Stream& stream, const HttpEndpoint& endpoint, HttpCall call) {
  http::request<http::string_body> request{http::string_to_verb(call.method), call.target, 11};
  request.set(http::field::host, endpoint.host);
  request.set(http::field::user_agent, "vxlan-cluster");
  if (!call.body.empty()) request.set(http::field::content_type, "application/json");
  if (!call.token.empty()) request.set(http::field::authorization, "Bearer " + call.token);
  if (!call.instance.empty()) request.set(kInstanceHeader, call.instance);
  request.body() = std::move(call.body);
  request.keep_alive(false);
  request.prepare_payload();
  auto [write_ec, written] = co_await http::async_write(stream, request, kNoThrow);
  if (write_ec) co_return failed(endpoint, call, "write", write_ec);

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(call.body_limit);
  auto [read_ec, read] = co_await http::async_read(stream, buffer, parser, kNoThrow);
  if (read_ec) co_return failed(endpoint, call, "read", read_ec);
  beast::error_code ignored;
  stream.socket().shutdown(asio::socket_base::shutdown_both, ignored);
  auto& message = parser.get();
  co_return HttpResponse{static_cast<int>(message.result_int()), std::move(message.body()),
                         std::string(message[http::field::content_type]), {}};
}

asio::awaitable<Result<HttpResponse>> call_tcp(asio::any_io_executor executor, const HttpEndpoint& endpoint,
                                               HttpCall call, Clock::time_point deadline) {
  auto resolved = co_await resolve_until(executor, endpoint, deadline);
  if (auto* ec = std::get_if<beast::error_code>(&resolved)) co_return failed(endpoint, call, "resolve", *ec);
  beast::tcp_stream stream(executor);
  stream.expires_at(deadline);
  auto [connect_ec, connected] = co_await stream.async_connect(std::get<0>(resolved), kNoThrow);
  if (connect_ec) co_return failed(endpoint, call, "connect", connect_ec);
  stream.socket().set_option(tcp::no_delay(true));
  co_return co_await exchange(stream, endpoint, std::move(call));
}

asio::awaitable<Result<HttpResponse>> call_unix(asio::any_io_executor executor, const HttpEndpoint& endpoint,
                                                HttpCall call, Clock::time_point deadline) {
  // Asio throws on a path longer than sockaddr_un holds.
  if (endpoint.socket_path.size() > kMaxUnixSocketPath) {
    co_return failed(endpoint, call, "connect", asio::error::name_too_long);
  }
  beast::basic_stream<local> stream(executor);
  stream.expires_at(deadline);
  auto [connect_ec] = co_await stream.async_connect(local::endpoint(endpoint.socket_path), kNoThrow);
  if (connect_ec) co_return failed(endpoint, call, "connect", connect_ec);
  co_return co_await exchange(stream, endpoint, std::move(call));
}

}  // namespace

asio::awaitable<Result<HttpResponse>> http_call(asio::any_io_executor executor,
                                                HttpEndpoint endpoint, HttpCall call) {
  auto deadline = Clock::now() + call.timeout;
  if (endpoint.socket_path.empty()) co_return co_await call_tcp(executor, endpoint, std::move(call), deadline);
  co_return co_await call_unix(executor, endpoint, std::move(call), deadline);
}

Result<HttpResponse> http_call_blocking(const HttpEndpoint& endpoint, HttpCall call) {
  asio::io_context io;
  return run_blocking(io, http_call(io.get_executor(), endpoint, std::move(call)));
}

Error peer_unreachable(const std::string& peer, const Error& failure) {
  return unavailable("unreachable", peer + " does not answer (" + failure.detail + ")");
}

}  // namespace vx
