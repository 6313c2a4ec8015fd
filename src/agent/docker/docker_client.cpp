#include "agent/docker/docker_client.h"

#include <spdlog/spdlog.h>
#include <sys/un.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>

namespace vx::agent {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
constexpr std::string_view kApiVersion = "/v1.41";
// Docker's largest ordinary answers are container lists; anything bigger is not a sane daemon.
constexpr uint64_t kMaxBody = 32 * 1024 * 1024;
// sockaddr_un holds the path with its terminating NUL; Asio throws on a longer one.
constexpr size_t kMaxSocketPath = sizeof(sockaddr_un::sun_path) - 1;

using Stream = beast::basic_stream<asio::local::stream_protocol>;

}  // namespace

Result<std::string> parse_docker_url(std::string_view text) {
  auto invalid = [&](const std::string& why) {
    return bad_input("invalid_docker_url", "'" + std::string(text) + "' " + why);
  };
  auto url = boost::urls::parse_absolute_uri(text);
  if (!url || url->scheme() != "unix" || !url->has_authority() || !url->encoded_authority().empty() ||
      url->path().size() < 2 || url->has_query()) {
    return invalid("is not of the form unix:///PATH/TO/docker.sock");
  }
  std::string path = url->path();
  if (path.size() > kMaxSocketPath) {
    return invalid("names a socket path longer than " + std::to_string(kMaxSocketPath) + " characters");
  }
  return path;
}

DockerClient::DockerClient(asio::any_io_executor executor, std::string socket_path)
    : executor_(std::move(executor)), socket_path_(std::move(socket_path)) {}

asio::awaitable<Result<DockerResponse>> DockerClient::call(std::string method, std::string target,
                                                           std::string body, Clock::time_point deadline) const {
  auto started = Clock::now();
  auto fail = [&](std::string_view step, const beast::error_code& ec) {
    std::string detail = "Docker at " + socket_path_ + ": " + method + " " + target + ": " +
                         std::string(step) + " failed: " + ec.message();
    spdlog::debug("docker {}", detail);
    return unavailable("docker_unavailable", std::move(detail));
  };
  if (socket_path_.size() > kMaxSocketPath) co_return fail("connect", asio::error::name_too_long);

  Stream stream(executor_);
  stream.expires_at(deadline);
  auto [connect_ec] = co_await stream.async_connect(
      asio::local::stream_protocol::endpoint(socket_path_), kNoThrow);
  if (connect_ec) co_return fail("connect", connect_ec);

  http::request<http::string_body> request{http::string_to_verb(method),
                                           std::string(kApiVersion) + target, 11};
  // The daemon rejects a socket path as Host ("malformed Host header").
  request.set(http::field::host, "docker");
  request.set(http::field::user_agent, "vxlan-cluster");
  if (!body.empty()) request.set(http::field::content_type, "application/json");
  request.body() = std::move(body);
  request.keep_alive(false);
  request.prepare_payload();
  auto [write_ec, written] = co_await http::async_write(stream, request, kNoThrow);
  if (write_ec) co_return fail("write", write_ec);

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxBody);
  auto [read_ec, read] = co_await http::async_read(stream, buffer, parser, kNoThrow);
  if (read_ec) co_return fail("read", read_ec);
  DockerResponse response{static_cast<int>(parser.get().result_int()), std::move(parser.get().body())};
  beast::error_code ignored;
  stream.socket().shutdown(asio::socket_base::shutdown_both, ignored);
  spdlog::debug("docker {} {} -> {} in {} ms", method, target, response.status,
                std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count());
  co_return response;
}

}  // namespace vx::agent
