#include "agent/docker/docker_client.h"

#include <spdlog/spdlog.h>

#include <boost/url/parse.hpp>

#include "common/http_client.h"

namespace vx::agent {

namespace asio = boost::asio;

namespace {

constexpr std::string_view kApiVersion = "/v1.41";
// Docker's largest ordinary answers are container lists; anything bigger is not a sane daemon.
constexpr size_t kMaxBody = 32 * 1024 * 1024;

}  // namespace

Result<std::string> parse_docker_url(std::string_view text) {
  auto invalid = [&](const std::string& why) {
    return bad_input("invalid_docker_url", "'" + std::string(text) + "' " + why);
  };
  // Boost.URL 1.81 fails an assertion on "SCHEME:" and a byte no path may hold (boostorg/url#665,
  // found by fuzz/urls): only text with the right scheme reaches it.
  if (!text.starts_with("unix://")) return invalid("is not of the form unix:///PATH/TO/docker.sock");
  auto url = boost::urls::parse_absolute_uri(text);
  if (!url || !url->has_authority() || !url->encoded_authority().empty() ||
      url->path().size() < 2 || url->has_query()) {
    return invalid("is not of the form unix:///PATH/TO/docker.sock");
  }
  std::string path = url->path();
  if (path.size() > kMaxUnixSocketPath) {
    return invalid("names a socket path longer than " + std::to_string(kMaxUnixSocketPath) + " characters");
  }
  return path;
}

DockerClient::DockerClient(asio::any_io_executor executor, std::string socket_path)
    : executor_(std::move(executor)), socket_path_(std::move(socket_path)) {}

asio::awaitable<Result<DockerResponse>> DockerClient::call(std::string method, std::string target,
                                                           std::string body, Clock::time_point deadline) const {
  auto started = Clock::now();
  HttpCall request;
  request.method = method;
  request.target = std::string(kApiVersion) + target;
  request.body = std::move(body);
  // Rounded up, so that the call never gives up before the caller's deadline.
  request.timeout = std::chrono::ceil<std::chrono::milliseconds>(deadline - started);
  request.body_limit = kMaxBody;
  auto response = co_await http_call(executor_, HttpEndpoint::unix_socket(socket_path_), std::move(request));
  if (!response) {
    spdlog::debug("docker {}", response.error().detail);
    co_return unavailable("docker_unavailable", "Docker: " + response.error().detail);
  }
  spdlog::debug("docker {} {} -> {} in {} ms", method, target, response->status,
                std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count());
  co_return response;
}

}  // namespace vx::agent
