#include "common/http_client.h"

#include "common/run_blocking.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>
#include <variant>

namespace vx {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

Result<HttpEndpoint> parse_http_url(std::string_view text) {
  auto url = boost::urls::parse_absolute_uri(text);
  if (!url || url->scheme() != "http" || url->host().empty() ||
      !(url->path().empty() || url->path() == "/") || url->has_query()) {
    return bad_input("invalid_url", "'" + std::string(text) + "' is not of the form http://HOST[:PORT]");
  }
  HttpEndpoint endpoint{url->host(), 80};
  if (url->has_port()) {
    if (url->port_number() == 0) return bad_input("invalid_url", "'" + std::string(text) + "' has a bad port");
    endpoint.port = url->port_number();
  }
  return endpoint;
}

namespace {

// Name lookup under the call's deadline: the resolver has no timeout of its own, so it races a
// timer. An address literal needs no lookup at all.
asio::awaitable<std::variant<tcp::resolver::results_type, beast::error_code>> resolve_until(
    asio::any_io_executor executor, const HttpEndpoint& endpoint, std::chrono::steady_clock::time_point deadline) {
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

}  // namespace

asio::awaitable<Result<HttpResponse>> http_call(asio::any_io_executor executor,
                                                HttpEndpoint endpoint, HttpCall call) {
  auto fail = [&](std::string_view step, const beast::error_code& ec) {
    return unavailable("unreachable", call.method + " http://" + endpoint.to_string() + call.target +
                                          ": " + std::string(step) + " failed: " + ec.message());
  };
  auto deadline = std::chrono::steady_clock::now() + call.timeout;
  auto resolved = co_await resolve_until(executor, endpoint, deadline);
  if (auto* ec = std::get_if<beast::error_code>(&resolved)) co_return fail("resolve", *ec);
  beast::tcp_stream stream(executor);
  stream.expires_at(deadline);
  auto [connect_ec, connected] = co_await stream.async_connect(std::get<0>(resolved), kNoThrow);
  if (connect_ec) co_return fail("connect", connect_ec);
  stream.socket().set_option(tcp::no_delay(true));

  http::request<http::string_body> request{http::string_to_verb(call.method), call.target, 11};
  request.set(http::field::host, endpoint.host);
  request.set(http::field::user_agent, "vxlan-cluster");
  if (!call.body.empty()) request.set(http::field::content_type, "application/json");
  if (!call.token.empty()) request.set(http::field::authorization, "Bearer " + call.token);
  request.body() = std::move(call.body);
  request.keep_alive(false);
  request.prepare_payload();
  auto [write_ec, written] = co_await http::async_write(stream, request, kNoThrow);
  if (write_ec) co_return fail("write", write_ec);

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  auto [read_ec, read] = co_await http::async_read(stream, buffer, parser, kNoThrow);
  if (read_ec) co_return fail("read", read_ec);
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  auto& message = parser.get();
  co_return HttpResponse{static_cast<int>(message.result_int()), std::move(message.body()),
                         std::string(message[http::field::content_type]),
                         std::string(message[http::field::allow])};
}

Result<HttpResponse> http_call_blocking(const HttpEndpoint& endpoint, HttpCall call) {
  asio::io_context io;
  return run_blocking(io, http_call(io.get_executor(), endpoint, std::move(call)));
}

}  // namespace vx
