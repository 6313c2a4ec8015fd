#include "agent/host_networks.h"

#include <spdlog/spdlog.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace vx::agent {

namespace asio = boost::asio;

namespace {

Error no_network_here(const std::string& network) {
  return not_found("network_not_here", "network '" + network + "' is not set up on this host");
}

// How often a caller waiting for another's set-up of the same network looks again.
constexpr auto kSetUpPoll = std::chrono::milliseconds(20);

}  // namespace

void HostNetworks::record(NetworkSetup setup) {
  std::string network = setup.devices.network;
  set_up_.insert_or_assign(network, setup);
  keep_apart();
  announce(setup);
}

// Docker's own isolation rules need its iptables, which a host may run without.
void HostNetworks::keep_apart() {
  std::vector<IsolatedNetwork> networks;
  for (const auto& [name, setup] : set_up_) networks.push_back({setup.devices.bridge, setup.subnet});
  Status isolated = dataplane_.isolate(networks);
  std::string error = isolated ? "" : isolated.error().detail;
  if (!error.empty() && error != isolation_error_) spdlog::error("cannot keep the networks on this host apart: {}", error);
  isolation_error_ = error;
}

void HostNetworks::announce(const NetworkSetup& setup) {
  for (const auto& listener : listeners_) listener(setup);
}

void HostNetworks::forget(const std::string& network) {
  if (network == proto::kDefaultNetwork || !set_up_.erase(network)) return;
  spdlog::info("network {} is gone from the IPAM and has no container here: no longer carried", network);
  keep_apart();
}

const NetworkSetup* HostNetworks::find(const std::string& network) const {
  auto found = set_up_.find(network);
  return found == set_up_.end() ? nullptr : &found->second;
}

std::vector<Cidr> HostNetworks::subnets() const {
  std::vector<Cidr> out;
  for (const auto& [network, setup] : set_up_) out.push_back(setup.subnet);
  return out;
}

asio::awaitable<Result<NetworkSetup>> HostNetworks::ensure(const std::string& network) {
  asio::steady_timer wait(co_await asio::this_coro::executor);
  while (in_flight_.count(network)) {
    wait.expires_after(kSetUpPoll);
    co_await wait.async_wait(asio::use_awaitable);
  }
  if (const NetworkSetup* done = find(network)) co_return *done;
  if (network == proto::kDefaultNetwork) {
    co_return unavailable("host_not_set_up", "host " + self_.host_id + " is not set up yet (see its /health)");
  }
  co_return co_await set_up_now(network);
}

asio::awaitable<Result<NetworkSetup>> HostNetworks::set_up_now(const std::string& network) {
  in_flight_.insert(network);
  auto setup = co_await set_up(network);
  in_flight_.erase(network);
  if (setup) record(*setup);
  co_return setup;
}

asio::awaitable<Result<NetworkSetup>> HostNetworks::set_up(const std::string& network) {
  auto shape = co_await ipam_.network(network);
  if (!shape) co_return shape.error();
  auto subnet = Cidr::parse(shape->subnet);
  if (!subnet) co_return subnet.error();
  auto setup = co_await set_up_network(self_, ipam_, runtime_, dataplane_, self_.devices_of(network, shape->vni), *subnet);
  if (!setup) co_return setup.error();
  setup->shape = {network, shape->subnet, shape->vni, {}, {}, true};
  if (auto first = Ipv4::parse(shape->range_start)) setup->shape.range_start = *first;
  if (auto last = Ipv4::parse(shape->range_end)) setup->shape.range_end = *last;
  co_return setup;
}

asio::awaitable<Status> HostNetworks::restore_at_ipam(const std::string& network) {
  const NetworkSetup* carried = find(network);
  if (carried == nullptr || network == proto::kDefaultNetwork) co_return no_network_here(network);
  proto::NetworkRequest shape = carried->shape;  // copied: the map may change while this waits
  auto restored = co_await ipam_.create_network(shape);
  if (!restored) co_return restored.error();
  spdlog::warn("the IPAM lost network {}: written back ({}, VNI {})", network, shape.subnet, restored->vni);
  co_return Ok{};
}

asio::awaitable<Status> HostNetworks::repair(const std::string& network) {
  if (network == proto::kDefaultNetwork) {
    if (!repair_default_) co_return Ok{};
    co_return co_await repair_default_();
  }
  if (in_flight_.count(network)) co_return Ok{};
  auto setup = co_await set_up_now(network);
  if (!setup) co_return setup.error();
  co_return Ok{};
}

}  // namespace vx::agent
