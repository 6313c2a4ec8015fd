#include "ipam/host_removal.h"

#include <spdlog/spdlog.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace vx::ipam {

namespace asio = boost::asio;

asio::awaitable<Result<HostRemoved>> remove_dead_host(Store& store, HostRegistry& hosts, const ClusterView& view,
                                                      const std::string& host_id) {
  auto ages = co_await hosts.heartbeat_ages();
  if (!ages) co_return ages.error();
  auto seen = ages->find(host_id);
  if (seen != ages->end() && std::chrono::milliseconds(seen->second) < hosts.ttl()) {
    co_return conflict("host_alive", "host '" + host_id + "' is alive (its last heartbeat " +
                                         std::to_string(seen->second) +
                                         " ms ago): stop its agent first, or remove its containers through it");
  }
  HostRemoved removed{host_id, 0};
  for (const auto& endpoint : view.endpoints(host_id)) {
    proto::ReleaseRequest release{endpoint.container_name, host_id};
    auto released = co_await store.release(release, "");
    if (released) {
      ++removed.released;
    } else if (released.error().kind != ErrorKind::kNotFound) {
      co_return released.error();
    }
  }
  Status left = co_await hosts.leave(host_id, "");
  if (!left && (left.error().kind != ErrorKind::kNotFound || removed.released == 0)) co_return left.error();
  spdlog::info("removed host {} for good: {} addresses released", host_id, removed.released);
  co_return removed;
}

asio::awaitable<void> expire_hosts(Store& store, HostRegistry& hosts, const ClusterView& view,
                                   std::chrono::milliseconds expiry, std::chrono::milliseconds every) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (;;) {
    timer.expires_after(every);
    co_await timer.async_wait(asio::use_awaitable);
    auto ages = co_await hosts.heartbeat_ages();
    if (!ages) continue;  // Redis away: the next round
    for (const auto& [host_id, age] : *ages) {
      if (std::chrono::milliseconds(age) < expiry) continue;
      spdlog::warn("host {} has been silent for {} s, longer than the expiry of {} s: removing it", host_id,
                   age / 1000, expiry.count() / 1000);
      auto removed = co_await remove_dead_host(store, hosts, view, host_id);
      if (!removed && removed.error().kind != ErrorKind::kNotFound) {
        spdlog::warn("cannot remove host {}: {}", host_id, removed.error().detail);
      }
    }
  }
}

}  // namespace vx::ipam
