// Feeds the input, as text, to parse_redis_url (both forms), parse_http_url(s),
// parse_listen_address and parse_docker_url. Checks that what parses names hosts and ports (or a
// usable socket path), that a URL list is its pieces, and that a listen address round-trips.
#include <algorithm>
#include <string>

#include "agent/docker/docker_client.h"
#include "check.h"
#include "common/host_port.h"
#include "common/http_client.h"
#include "common/ipv4.h"
#include "ipam/redis/url.h"

namespace vx::fuzz {
namespace {

void redis(std::string_view text) {
  auto endpoint = ipam::parse_redis_url(text);
  check_error(endpoint);
  if (!endpoint) return;
  check(endpoint->db >= 0, "a Redis database number is not negative");
  if (text.starts_with("redis://")) {
    check(!endpoint->host.empty() && endpoint->port != 0 && !endpoint->sentinel, "a Redis URL names a host and a port");
  } else {
    // The master's address comes from the Sentinels later; the URL names them and the master.
    check(endpoint->sentinel && !endpoint->sentinel->sentinels.empty() && !endpoint->sentinel->master_name.empty(),
          "a Sentinel URL names Sentinels and a master");
    for (const auto& sentinel : endpoint->sentinel->sentinels) {
      check(!sentinel.host.empty() && sentinel.port != 0, "each Sentinel has a host and a port");
    }
  }
  check(!endpoint->to_string().empty(), "a Redis endpoint prints");
}

void http(std::string_view text) {
  auto one = parse_http_url(text);
  check_error(one);
  if (one) {
    check(!one->host.empty() && one->port != 0 && one->socket_path.empty(), "an HTTP URL names a host and a port");
  }

  auto many = parse_http_urls(text);
  check_error(many);
  size_t commas = static_cast<size_t>(std::count(text.begin(), text.end(), ','));
  if (commas == 0) check(many.ok() == one.ok(), "one URL parses alone as it does in a list");
  if (!many) return;
  check(many->size() == commas + 1, "a list holds one URL per comma-separated piece");
  size_t start = 0;
  for (const auto& endpoint : *many) {
    size_t comma = std::min(text.find(',', start), text.size());
    auto piece = parse_http_url(text.substr(start, comma - start));
    check(piece && piece->host == endpoint.host && piece->port == endpoint.port, "a list is its pieces");
    start = comma + 1;
  }
}

void listen(std::string_view text) {
  auto address = parse_listen_address(text);
  check_error(address);
  if (!address) return;
  check(Ipv4::parse(address->host).ok(), "a listen address is an IPv4 literal");
  auto again = parse_listen_address(address->host + ":" + std::to_string(address->port));
  check(again && again->host == address->host && again->port == address->port,
        "a listen address parses back from its printing");
}

void docker(std::string_view text) {
  auto path = agent::parse_docker_url(text);
  check_error(path);
  if (path) {
    check(path->size() >= 2 && path->front() == '/' && path->size() <= kMaxUnixSocketPath,
          "a Docker URL names an absolute socket path the kernel can connect to");
  }
}

}  // namespace
}  // namespace vx::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text = vx::fuzz::as_text(data, size);
  vx::fuzz::redis(text);
  vx::fuzz::http(text);
  vx::fuzz::listen(text);
  vx::fuzz::docker(text);
  return 0;
}
