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
  auto device = dataplane_.vxlan_state(self_.vxlan_device);
  bool device_ok = device && device->exists && device->up && device->master == self_.bridge;
  if (!device_ok && options_.repair) {
    spdlog::warn("{} is missing, down or off {}: setting the host up again", self_.vxlan_device, self_.bridge);
    if (Status repaired = co_await options_.repair(); !repaired) co_return repaired.error();
  }
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

  std::map<std::string, Endpoint> registered;
  for (auto& endpoint : *registry) {
    if (endpoint.host_id == self_.host_id) registered[endpoint.container_name] = std::move(endpoint);
  }
  if (!gateway_ip_.empty()) co_await restore(self_.gateway_name(), gateway_ip_, "", registered);
  std::set<std::string> present;
  for (const auto& container : *local) {
    present.insert(container.name);
    if (options_.busy && options_.busy(container.name)) continue;
    co_await restore(container.name, container.ip_address, container.mac_address, registered);
  }
  co_await release_orphans(registered, present);
  co_return Ok{};
}

asio::awaitable<void> Reconciler::restore(const std::string& name, const std::string& ip, const std::string& mac,
                                          const std::map<std::string, Endpoint>& registered) {
  auto entry = registered.find(name);
  if (entry == registered.end() && !ip.empty()) {
    spdlog::warn("the registry lost {} ({}); reserving it again", name, ip);
    auto reserved = co_await ipam_.allocate(name, self_.host_id, ip);
    if (!reserved) {
      spdlog::error("cannot reserve {} for {} again: {}", ip, name, reserved.error().detail);
      co_return;
    }
  }
  bool recorded = entry != registered.end() && entry->second.mac_address == mac;
  if (mac.empty() || recorded) co_return;
  if (Status saved = co_await ipam_.record_endpoint(name, self_.host_id, mac); !saved) {
    spdlog::warn("cannot record the MAC of {}: {}", name, saved.error().detail);
  }
}

asio::awaitable<void> Reconciler::release_orphans(const std::map<std::string, Endpoint>& registered,
                                                  const std::set<std::string>& present) {
  auto now = Clock::now();
  std::map<std::string, Clock::time_point> still_orphaned;
  for (const auto& [name, endpoint] : registered) {
    if (present.count(name) || name == self_.gateway_name() || (options_.busy && options_.busy(name))) continue;
    auto since = orphan_since_.emplace(name, now).first->second;
    if (now - since < options_.orphan_grace) {
      still_orphaned[name] = since;
      continue;
    }
    spdlog::warn("releasing {} of {}: no container has held it for {} s", endpoint.ip_address, name,
                 std::chrono::duration_cast<std::chrono::seconds>(now - since).count());
    Status released = co_await ipam_.release(name, self_.host_id);
    if (!released && released.error().kind != ErrorKind::kNotFound) {
      spdlog::warn("cannot release {}: {}", name, released.error().detail);
      still_orphaned[name] = since;
    }
  }
  orphan_since_ = std::move(still_orphaned);
}

}  // namespace vx
