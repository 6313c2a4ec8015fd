#include "agent/agent.h"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <filesystem>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "agent/docker/docker_runtime.h"
#include "agent/host_setup.h"
#include "common/auth.h"
#include "ipam/client/http_ipam_client.h"
#include "agent/probe/netns_prober.h"
#include "agent/sandbox/netlink_sandboxes.h"

namespace vx::agent {

namespace asio = boost::asio;

namespace {

// A loop that dies must say so: detached coroutines otherwise swallow their exceptions.
void log_if_failed(const char* loop, std::exception_ptr failure) {
  if (!failure) return;
  try {
    std::rethrow_exception(failure);
  } catch (const std::exception& e) {
    spdlog::critical("the {} loop stopped: {}", loop, e.what());
  }
}

}  // namespace

AttachedHere Agent::attached_here() {
  return [this](const std::string& name) { return cni_.holds(name); };
}

ReconcilerOptions Agent::reconciler_options(const AgentConfig& config) {
  ReconcilerOptions options;
  if (!config.docker_plugin.empty()) {
    options.holders.push_back([this](const std::map<std::string, proto::Endpoint>& registered) {
      return docker_endpoints_.keep(registered);
    });
  }
  options.attachments = [this] { return cni_.attached(); };
  options.on_sync = [this](double seconds, bool ok) { agent_metrics_.synced(seconds, ok); };
  options.interval = config.sync_interval;
  options.resync_interval = config.resync_interval;
  return options;
}

Agent::Agent(AgentIdentity self, const AgentConfig& config, std::unique_ptr<Dataplane> dataplane)
    : self_(std::move(self)),
      heartbeat_interval_(config.heartbeat_interval),
      dataplane_(std::move(dataplane)),
      runtime_(std::make_unique<DockerRuntime>(io_.get_executor(), config.docker_socket, config.call_timeout)),
      ipam_(std::make_unique<ipam::HttpIpamClient>(
          io_.get_executor(),
          ipam::IpamClientOptions{config.ipam, config.call_timeout, config.token, self_.instance_id})),
      prober_(std::make_unique<NetnsProber>()),
      networks_(self_, *ipam_, *runtime_, *dataplane_),
      containers_(self_, *ipam_, *runtime_, networks_, claims_, attached_here()),
      docker_endpoints_(self_, *ipam_, *runtime_, networks_, claims_, attached_here()),
      sandboxes_(std::make_unique<NetlinkSandboxes>()),
      cni_(self_, *ipam_, networks_, *sandboxes_, claims_, *runtime_),
      reconciler_(self_, *ipam_, *dataplane_, *runtime_, networks_, claims_, reconciler_options(config)),
      removals_(self_, *ipam_, *runtime_, claims_, attached_here()),
      health_(*runtime_, config.sync_interval),
      agent_metrics_(metrics_, {self_, containers_, cni_, networks_, *dataplane_, reconciler_, names_}),
      warning_(open_api_warning(config.listen, config.token)),
      router_(make_agent_router({self_, containers_, networks_, *runtime_, *ipam_, *dataplane_, *prober_, reconciler_,
                                 setup_, health_.observed(), warning_, &cni_, &agent_metrics_})),
      server_({.token = config.token, .open_metrics = config.open_metrics}, {{io_.get_executor(), router_.get()}}),
      plugin_socket_(config.docker_plugin.empty() ? "" : config.plugin_dir + "/" + config.docker_plugin + ".sock"),
      plugin_driver_(docker_endpoints_),
      plugin_server_({}, {{io_.get_executor(), &plugin_driver_}}),
      network_events_(*runtime_, docker_endpoints_),
      names_(io_.get_executor(), [this](std::string_view network, std::string_view name) { return lookup(network, name); },
             dns::host_resolvers(config.resolv_conf)) {
  setup_.error = "starting";
  networks_.set_repair_default([this] { return repair_host(); });
  removals_.on_released([this](const std::string& name) { containers_.released_elsewhere(name); });
  // A network set up after the first sync gets its entries at once; before it, the first sync does.
  networks_.on_set_up([this](const NetworkSetup& network) {
    serve_names(network);
    if (!reconciler_.state().synced) return;
    if (Status diffed = reconciler_.diff_network(network); !diffed) {
      spdlog::warn("cannot program the entries of {} yet: {}", network.devices.network, diffed.error().detail);
    }
  });
  if (!warning_.empty()) spdlog::warn("{}", warning_);
}

Agent::~Agent() = default;

dns::NameAnswer Agent::lookup(std::string_view network, std::string_view name) const {
  const auto& endpoints = reconciler_.model().endpoints();
  auto found = endpoints.find(std::string(name));
  if (found == endpoints.end() || proto::is_gateway_name(name)) return {};
  if (found->second.network != network) return {dns::NameAnswer::Kind::kOtherNetwork, {}};
  auto address = Ipv4::parse(found->second.ip_address);
  if (!address) return {};
  return {dns::NameAnswer::Kind::kAddress, *address};
}

void Agent::serve_names(const NetworkSetup& network) {
  auto gateway = Ipv4::parse(network.gateway);
  if (!gateway) return;
  Status serving = names_.listen(network.devices.network, *gateway, network.devices.bridge);
  std::string error = serving ? "" : serving.error().detail;
  std::string& last = names_errors_[network.devices.network];
  if (!error.empty() && error != last) {
    spdlog::warn("cannot serve the names of {} on {} yet: {}", network.devices.network, network.gateway, error);
  }
  last = error;
}

// A bridge may get its address after its network is set up, and Docker may recreate it.
asio::awaitable<void> Agent::keep_names() {
  asio::steady_timer timer(io_);
  for (;;) {
    for (const auto& [name, network] : networks_.all()) serve_names(network);
    timer.expires_after(std::chrono::seconds(1));
    co_await timer.async_wait(asio::use_awaitable);
  }
}

Status Agent::listen(const AgentConfig& config) {
  if (Status api = server_.listen_tcp(config.listen.host, config.listen.port); !api) return api;
  if (plugin_socket_.empty()) return Ok{};
  std::error_code made;
  std::filesystem::create_directories(config.plugin_dir, made);
  if (made) return unavailable("listen_failed", "cannot make " + config.plugin_dir + ": " + made.message());
  return plugin_server_.listen_unix(plugin_socket_);
}

// The plugin answers before the set-up starts: Docker asks it for the pool and gateway of each
// network the agent makes.
void Agent::run() {
  if (!plugin_socket_.empty()) {
    plugin_server_.start();
    spdlog::info("serving Docker's IPAM plugin on {}", plugin_socket_);
  }
  asio::co_spawn(io_, set_up(), [](std::exception_ptr e) { log_if_failed("set-up and host checks", e); });
  asio::co_spawn(io_, health_.run(), [](std::exception_ptr e) { log_if_failed("health", e); });
  serve_until_signalled(server_, {&io_}, [this] {
    if (!plugin_socket_.empty()) plugin_server_.shutdown([] {});
  });
}

asio::awaitable<Status> Agent::repair_host() {
  auto setup = co_await set_up_host(self_, *ipam_, *runtime_, *dataplane_);
  if (!setup) co_return setup.error();
  networks_.record({self_.default_devices(), setup->overlay, setup->gateway});
  co_return Ok{};
}

asio::awaitable<void> Agent::set_up() {
  asio::steady_timer retry(io_);
  for (;;) {
    auto result = co_await set_up_host(self_, *ipam_, *runtime_, *dataplane_);
    if (result) {
      setup_ = {true, "", result->gateway, result->overlay};
      networks_.record({self_.default_devices(), result->overlay, result->gateway});
      break;
    }
    if (result.error().detail != setup_.error) spdlog::warn("cannot set the host up yet: {}", result.error().detail);
    setup_.error = result.error().detail;
    retry.expires_after(std::chrono::seconds(1));
    co_await retry.async_wait(asio::use_awaitable);
  }
  asio::co_spawn(io_, heartbeat(), [](std::exception_ptr e) { log_if_failed("heartbeat", e); });
  asio::co_spawn(io_, keep_names(), [](std::exception_ptr e) { log_if_failed("name server", e); });
  asio::co_spawn(io_, reconciler_.follow(), [](std::exception_ptr e) { log_if_failed("peer feed", e); });
  asio::co_spawn(io_, removals_.follow(), [](std::exception_ptr e) { log_if_failed("container removals", e); });
  if (!plugin_socket_.empty()) {
    asio::co_spawn(io_, network_events_.follow(), [](std::exception_ptr e) { log_if_failed("network events", e); });
  }
  co_await reconciler_.keep_host();
}

asio::awaitable<void> Agent::heartbeat() {
  asio::steady_timer timer(io_);
  bool reached = true;
  for (;;) {
    Status alive = co_await ipam_->heartbeat(self_.host_id);
    health_.note_ipam(alive);
    if (!alive && alive.error().kind == ErrorKind::kNotFound) {  // the IPAM lost us: a wiped Redis, say
      spdlog::warn("the IPAM does not know host {}; registering again", self_.host_id);
      auto registered = co_await register_host(self_, *ipam_);
      alive = registered ? Status(Ok{}) : Status(registered.error());
    }
    if (reached != bool(alive)) {
      alive ? spdlog::info("heartbeats reach the IPAM again")
            : spdlog::warn("heartbeat failed: {}", alive.error().detail);
      reached = bool(alive);
    }
    timer.expires_after(heartbeat_interval_);
    co_await timer.async_wait(asio::use_awaitable);
  }
}

}  // namespace vx::agent
