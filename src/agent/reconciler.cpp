#include "agent/reconciler.h"

#include <spdlog/spdlog.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <set>

#include "agent/fdb_plan.h"

namespace vx {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

Reconciler::Reconciler(const AgentIdentity& self, IpamClient& ipam, Dataplane& dataplane, Runtime& runtime,
                       ReconcilerOptions options)
    : self_(self), ipam_(ipam), dataplane_(dataplane), runtime_(runtime), options_(options) {}

asio::awaitable<void> Reconciler::run() {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (int pass = 0;; ++pass) {
    Status synced = co_await sync_fdb();
    if (!synced && synced.error().detail != state_.last_error) {
      spdlog::warn("sync failed, keeping the data plane as it is: {}", synced.error().detail);
    }
    state_.last_error = synced ? "" : synced.error().detail;
    if (pass % options_.housekeeping_every == 0) {
      if (Status kept = co_await housekeeping(); !kept) spdlog::warn("housekeeping: {}", kept.error().detail);
    }
    timer.expires_after(options_.interval);
    co_await timer.async_wait(asio::use_awaitable);
  }
}

asio::awaitable<Status> Reconciler::sync_fdb() {
  auto peers = co_await ipam_.peers();
  if (!peers) co_return peers.error();
  auto current = dataplane_.fdb(self_.vxlan_device);
  if (!current) co_return current.error();
  std::vector<FdbEntry> desired = desired_fdb(*peers, self_.host_id);
  FdbPlan plan = plan_fdb(desired, *current);
  for (const auto& entry : plan.remove) {
    if (Status removed = dataplane_.remove_fdb(self_.vxlan_device, entry); !removed) co_return removed.error();
  }
  for (const auto& entry : plan.add) {
    if (Status added = dataplane_.add_fdb(self_.vxlan_device, entry); !added) co_return added.error();
  }
  if (!plan.empty()) {
    spdlog::info("forwarding entries synced: {} added, {} removed", plan.add.size(), plan.remove.size());
  }
  state_.synced = true;
  state_.peers = std::count_if(desired.begin(), desired.end(), [](const FdbEntry& e) { return e.mac == kFloodMac; });
  state_.remote_endpoints = desired.size() - state_.peers;
  co_return Ok{};
}

asio::awaitable<Status> Reconciler::housekeeping() {
  auto registry = co_await ipam_.containers();
  if (!registry) co_return registry.error();
  auto local = co_await runtime_.list_containers(kManagedLabel, "true");
  if (!local) co_return local.error();

  std::map<std::string, std::string> recorded_macs;  // this host's names in the registry
  for (const auto& endpoint : *registry) {
    if (endpoint.host_id == self_.host_id) recorded_macs[endpoint.container_name] = endpoint.mac_address;
  }
  std::set<std::string> present;
  for (const auto& container : *local) {
    present.insert(container.name);
    auto recorded = recorded_macs.find(container.name);
    if (recorded == recorded_macs.end() || container.mac_address.empty() ||
        recorded->second == container.mac_address) {
      continue;
    }
    Status saved = co_await ipam_.record_endpoint(container.name, self_.host_id, container.mac_address);
    if (!saved) co_return saved.error();
  }

  auto now = Clock::now();
  std::map<std::string, Clock::time_point> still_orphaned;
  for (const auto& [name, mac] : recorded_macs) {
    if (present.count(name) || name == self_.gateway_name()) continue;
    auto since = orphan_since_.emplace(name, now).first->second;
    if (now - since < options_.orphan_grace) {
      still_orphaned[name] = since;
      continue;
    }
    spdlog::warn("releasing the address of {}: no container has held it for {} s", name,
                 std::chrono::duration_cast<std::chrono::seconds>(now - since).count());
    Status released = co_await ipam_.release(name, self_.host_id);
    if (!released && released.error().kind != ErrorKind::kNotFound) co_return released.error();
  }
  orphan_since_ = std::move(still_orphaned);
  co_return Ok{};
}

}  // namespace vx
