#include "agent/api.h"

#include <boost/json.hpp>

#include "agent/host_setup.h"
#include "common/auth.h"
#include "agent/ping_check.h"
#include "proto/agent.h"
#include "proto/names.h"

namespace vx::agent {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

using proto::to_json;

proto::Container wire_of(const ManagedContainer& container) {
  return {container.id,      container.name,  container.ip_address, container.mac_address,
          container.host_id, container.image, container.status,     container.network};
}

proto::PingReport report_of(const PingResult& result, const proto::PingRequest& request, const std::string& host_id) {
  return {result.container_name,     host_id, result.source.to_string(), request.target,
          result.target_ip.to_string(), request.port, static_cast<uint64_t>(result.report.sent),
          result.report.rtt_ms};
}

// A JSON body, or the seed's query parameters of the same names.
Result<proto::CreateRequest> parse_create(const HttpRequest& request) {
  proto::CreateRequest out;
  if (!request.body.empty()) {
    auto parsed = proto::parse_create_request(request.body);
    if (!parsed) return parsed.error();
    out = std::move(*parsed);
  } else {
    auto name = request.query.find("container_name");
    auto image = request.query.find("image");
    if (name == request.query.end() || image == request.query.end()) {
      return bad_input("missing_field", "container_name and image are required, as query parameters or in a JSON body");
    }
    auto network = request.query.find("network");
    out = {name->second, image->second,
           network == request.query.end() ? std::string(proto::kDefaultNetwork) : network->second};
    if (auto valid = proto::validate_network_name(out.network); !valid) return valid.error();
  }
  if (auto valid = proto::validate_container_name(out.container_name); !valid) return valid.error();
  if (auto valid = validate_image(out.image); !valid) return valid.error();
  return out;
}

class AgentApi : public Router {
 public:
  explicit AgentApi(AgentParts parts)
      : parts_(parts),
        ping_check_(parts.containers, parts.ipam, parts.prober),
        cni_api_(parts.cni ? std::make_optional<CniApi>(*parts.cni) : std::nullopt) {
    check_param("name", proto::validate_container_name);
    add("GET", "/health", this, &AgentApi::health);
    add("GET", "/", this, &AgentApi::health);
    add("POST", "/create_container", this, &AgentApi::create);
    add("GET", "/containers", this, &AgentApi::list);
    add("GET", "/container/{name}", this, &AgentApi::get);
    add("DELETE", "/container/{name}", this, &AgentApi::remove);
    add("POST", "/container/{name}/ping", this, &AgentApi::ping);
    add("GET", "/fdb", this, &AgentApi::fdb);
    add("POST", "/sync", this, &AgentApi::sync);
    if (cni_api_) cni_api_->add_routes(*this);
    if (parts.metrics != nullptr) {
      parts.metrics->time_requests(*this);
      add("GET", "/metrics", this, &AgentApi::metrics);
    }
  }

  // A container may not drive its host's agent (create containers, read others'), nor any other's.
  asio::awaitable<HttpResponse> handle(const HttpRequest& request) override {
    if (Status allowed = check_source(request, parts_.networks.subnets()); !allowed) {
      co_return error_response(allowed.error());
    }
    co_return co_await Router::handle(request);
  }

 private:
  asio::awaitable<HttpResponse> health(const HttpRequest&, const PathParams&) {
    json::array problems;
    bool docker = parts_.observed.docker_error.empty();
    if (!docker) problems.push_back(json::string("docker: " + parts_.observed.docker_error));
    bool ipam = parts_.observed.ipam_error.empty();
    if (!ipam) problems.push_back(json::string("ipam: " + parts_.observed.ipam_error));
    if (!parts_.setup.done) problems.push_back(json::string("setup: " + parts_.setup.error));
    std::string underlay = underlay_problem(parts_.self, parts_.dataplane);
    if (!underlay.empty()) problems.push_back(json::string("underlay: " + underlay));
    bool vxlan_up = true;
    json::array networks;
    for (const auto& [network, setup] : parts_.networks.all()) {
      bool up = vxlan_is_set_up(setup.devices, parts_.dataplane);
      if (!up) problems.push_back(json::string(setup.devices.vxlan_device + " is not up on " + setup.devices.bridge));
      vxlan_up = vxlan_up && up;
      networks.push_back({{"name", network}, {"vni", setup.devices.vni}, {"subnet", setup.subnet.to_string()},
                          {"gateway", setup.gateway}, {"bridge", setup.devices.bridge},
                          {"vxlan_device", setup.devices.vxlan_device}, {"vxlan", up ? "up" : "down"}});
    }
    if (!parts_.networks.isolation_error().empty()) {
      problems.push_back(json::string("isolation: " + parts_.networks.isolation_error()));
    }
    if (!parts_.setup.done) vxlan_up = vxlan_is_set_up(parts_.self.default_devices(), parts_.dataplane);
    const SyncState& sync = parts_.reconciler.state();
    if (!sync.last_error.empty()) problems.push_back(json::string("sync: " + sync.last_error));
    json::object out{{"status", problems.empty() ? "healthy" : "unhealthy"},
                     {"host_id", parts_.self.host_id},
                     {"docker", docker ? "ok" : "down"},
                     {"ipam", ipam ? "ok" : "down"},
                     {"vxlan", vxlan_up ? "up" : "down"},
                     {"underlay", underlay.empty() ? "ok" : "down"},
                     {"underlay_ip", parts_.self.underlay_ip.to_string()},
                     {"gateway", parts_.setup.gateway},
                     {"networks", networks},
                     {"mtu", parts_.self.overlay_mtu()},
                     {"peers", sync.peers},
                     {"remote_endpoints", sync.remote_endpoints},
                     {"revision", sync.revision},
                     {"changes_applied", sync.changes_applied},
                     {"snapshots", sync.resets},
                     {"feed_answer_age_ms", sync.last_answer == std::chrono::steady_clock::time_point{}
                                                ? json::value(nullptr)
                                                : json::value(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                                  std::chrono::steady_clock::now() - sync.last_answer)
                                                                  .count())}};
    if (!parts_.warning.empty()) out["warnings"] = json::array{json::string(parts_.warning)};
    if (!problems.empty()) {
      out["error"] = "unhealthy";
      out["detail"] = problems;
    }
    co_return json_response(problems.empty() ? 200 : 503, out);
  }

  asio::awaitable<HttpResponse> create(const HttpRequest& request, const PathParams&) {
    auto parsed = parse_create(request);
    if (!parsed) co_return error_response(parsed.error());
    if (!parts_.setup.done) {
      co_return error_response(unavailable("not_ready", "the host is not set up yet: " + parts_.setup.error));
    }
    auto start = std::chrono::steady_clock::now();
    auto created = co_await parts_.containers.create(parsed->container_name, parsed->image, parsed->network);
    if (parts_.metrics != nullptr && created) {
      parts_.metrics->created(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    if (!created) co_return error_response(created.error());
    co_return success_response(to_json(wire_of(*created)));
  }

  asio::awaitable<HttpResponse> metrics(const HttpRequest&, const PathParams&) {
    co_return co_await parts_.metrics->scrape();
  }

  asio::awaitable<HttpResponse> list(const HttpRequest&, const PathParams&) {
    auto containers = co_await parts_.containers.list();
    if (!containers) co_return error_response(containers.error());
    json::array out;
    for (const auto& container : *containers) out.push_back(to_json(wire_of(container)));
    if (parts_.cni != nullptr) {
      auto attached = co_await parts_.cni->list();
      if (!attached) co_return error_response(attached.error());
      for (const auto& attachment : *attached) out.push_back(to_json(attachment));
    }
    co_return json_response(200, out);
  }

  asio::awaitable<HttpResponse> get(const HttpRequest&, const PathParams& params) {
    const std::string& name = params.at("name");
    auto container = co_await parts_.containers.get(name);
    if (!container) co_return error_response(container.error());
    co_return json_response(200, to_json(wire_of(*container)));
  }

  asio::awaitable<HttpResponse> remove(const HttpRequest&, const PathParams& params) {
    const std::string& name = params.at("name");
    auto removed = co_await parts_.containers.remove(name);
    if (!removed) co_return error_response(removed.error());
    co_return success_response(to_json(wire_of(*removed)));
  }

  asio::awaitable<HttpResponse> ping(const HttpRequest& request, const PathParams& params) {
    const std::string& name = params.at("name");
    auto parsed = proto::parse_ping_request(request.body);
    if (!parsed) co_return error_response(parsed.error());
    auto result = co_await ping_check_.run(name, *parsed);
    if (!result) co_return error_response(result.error());
    co_return json_response(200, to_json(report_of(*result, *parsed, parts_.self.host_id)));
  }

  // What vxctl check compares with the registry: one network's entries (?network=, the default
  // network's without).
  asio::awaitable<HttpResponse> fdb(const HttpRequest& request, const PathParams&) {
    auto asked = request.query.find("network");
    std::string network = asked == request.query.end() ? std::string(proto::kDefaultNetwork) : asked->second;
    if (Status valid = proto::validate_network_name(network); !valid) co_return error_response(valid.error());
    const NetworkSetup* setup = parts_.networks.find(network);
    NetworkDevices devices = setup ? setup->devices : parts_.self.default_devices();
    if (!setup && network != proto::kDefaultNetwork) {
      co_return error_response(not_found("network_not_here", "network '" + network + "' is not set up on " +
                                                                 parts_.self.host_id));
    }
    auto entries = parts_.dataplane.fdb(devices.vxlan_device);
    if (!entries) co_return error_response(entries.error());
    json::array out;
    for (const auto& entry : *entries) out.push_back(to_json(proto::ForwardingEntry{entry.mac, entry.dst.to_string()}));
    co_return json_response(200, out);
  }

  // vxctl check --repair: housekeeping and a diff of the kernel against the watched view, now,
  // with the reconciler's own rules (a create's grace, never a live container's address).
  asio::awaitable<HttpResponse> sync(const HttpRequest&, const PathParams&) {
    if (!parts_.setup.done) {
      co_return error_response(unavailable("not_ready", "the host is not set up yet: " + parts_.setup.error));
    }
    if (Status kept = co_await parts_.reconciler.housekeeping(); !kept) co_return error_response(kept.error());
    if (Status synced = parts_.reconciler.diff_kernel(); !synced) co_return error_response(synced.error());
    co_return success_response({{"host_id", parts_.self.host_id}});
  }

  AgentParts parts_;
  PingCheck ping_check_;
  std::optional<CniApi> cni_api_;
};

}  // namespace

std::unique_ptr<Router> make_agent_router(AgentParts parts) { return std::make_unique<AgentApi>(parts); }

}  // namespace vx::agent
