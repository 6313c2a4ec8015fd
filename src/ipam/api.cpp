#include "ipam/api.h"

#include <boost/asio/this_coro.hpp>
#include <boost/json.hpp>
#include <charconv>

#include "common/auth.h"
#include "ipam/host_removal.h"
#include "ipam/requests.h"
#include "ipam/ui/dashboard_page.h"
#include "proto/ipam.h"
#include "proto/names.h"

namespace vx::ipam {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

using Clock = std::chrono::steady_clock;
using proto::to_json;
using proto::validate_container_name;
using proto::validate_host_id;

// How long a read waits for this process's view to catch up with Redis before it answers 503.
constexpr auto kCatchUp = std::chrono::seconds(2);

// A query parameter that must be a whole number up to `max`; absent gives std::nullopt.
Result<std::optional<uint64_t>> number_param(const HttpRequest& request, const std::string& name, uint64_t max,
                                             const char* code) {
  auto found = request.query.find(name);
  if (found == request.query.end()) return std::optional<uint64_t>();
  const std::string& text = found->second;
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value > max) {
    return bad_input(code, "'" + name + "' must be a whole number from 0 to " + std::to_string(max) + ", not '" +
                               text + "'");
  }
  return std::optional<uint64_t>(value);
}

HttpResponse raw_json(std::string body) {
  HttpResponse response;
  response.body = std::move(body);
  return response;
}

class IpamApi : public Router {
 public:
  IpamApi(std::unique_ptr<Store> store, std::unique_ptr<HostRegistry> hosts, const PoolSpec& pool,
          ClusterView& view, std::string warning, IpamMetrics* metrics)
      : store_(std::move(store)),
        hosts_(std::move(hosts)),
        pool_(pool),
        view_(view),
        warning_(std::move(warning)),
        metrics_(metrics) {
    if (metrics_ != nullptr) {
      metrics_->time_requests(*this);
      add("GET", "/metrics", this, &IpamApi::metrics);
    }
    check_param("name", validate_container_name);
    check_param("id", validate_host_id);
    check_param("network", proto::validate_network_name);
    add("GET", "/", this, &IpamApi::health);
    add("GET", "/health", this, &IpamApi::health);
    add("GET", "/stats", this, &IpamApi::stats);
    add("GET", "/containers", this, &IpamApi::containers);
    add("GET", "/container/{name}", this, &IpamApi::container);
    add("GET", "/check/{name}", this, &IpamApi::check);
    add("POST", "/allocate", this, &IpamApi::allocate);
    add("POST", "/deallocate", this, &IpamApi::release);
    add("POST", "/release", this, &IpamApi::release);
    add("POST", "/container/{name}/endpoint", this, &IpamApi::record_endpoint);
    add("POST", "/container/{name}/rename", this, &IpamApi::rename);
    add("POST", "/hosts", this, &IpamApi::register_host);
    add("GET", "/hosts", this, &IpamApi::list_hosts);
    add("POST", "/hosts/{id}/heartbeat", this, &IpamApi::heartbeat);
    add("DELETE", "/hosts/{id}", this, &IpamApi::leave);
    add("GET", "/peers", this, &IpamApi::peers);
    add("GET", "/networks", this, &IpamApi::list_networks);
    add("POST", "/networks", this, &IpamApi::create_network);
    add("GET", "/networks/{network}", this, &IpamApi::network);
    add("DELETE", "/networks/{network}", this, &IpamApi::delete_network);
    add("GET", "/ui", this, &IpamApi::dashboard);
  }

  // The containers whose addresses this IPAM hands out may not drive it.
  asio::awaitable<HttpResponse> handle(const HttpRequest& request) override {
    if (Status allowed = check_source(request, co_await overlays()); !allowed) {
      co_return error_response(allowed.error());
    }
    if (!request.instance.empty()) {
      if (Status valid = proto::validate_instance_id(request.instance); !valid) co_return error_response(valid.error());
    }
    co_return co_await Router::handle(request);
  }

 private:
  asio::awaitable<HttpResponse> health(const HttpRequest&, const PathParams&) {
    auto status = co_await store_->check_health();
    // A replica just started loads its view in moments: say so only if it takes longer.
    if (status && !co_await view_.wait_until(0, Clock::now() + kCatchUp)) {
      status = unavailable("view_not_loaded", view_.feed_error());
    }
    if (!status) {
      co_return json_response(503, {{"status", "unhealthy"},
                                    {"error", status.error().code},
                                    {"detail", status.error().detail}});
    }
    std::string feed = view_.feed_error();
    json::object out{{"status", "healthy"},
                     {"redis", "ok"},
                     {"network_subnet", pool_.subnet().to_string()},
                     {"revision", view_.revision()},
                     {"feed", feed.empty() ? std::string("following") : feed}};
    if (!warning_.empty()) out["warnings"] = json::array{json::string(warning_)};
    co_return json_response(200, out);
  }

  // Every network's subnet, read again at most once a second so that a request costs no Redis call
  // for it; the default network's alone while Redis does not answer.
  asio::awaitable<std::vector<Cidr>> overlays() {
    if (Clock::now() - overlays_read_ < std::chrono::seconds(1)) co_return overlays_;
    overlays_read_ = Clock::now();
    auto networks = co_await store_->networks("");
    if (!networks) co_return overlays_;
    std::vector<Cidr> subnets{pool_.subnet()};
    for (const auto& network : *networks) {
      if (auto subnet = Cidr::parse(network.subnet); subnet && !(*subnet == pool_.subnet())) subnets.push_back(*subnet);
    }
    overlays_ = std::move(subnets);
    co_return overlays_;
  }

  // The `network` query parameter, checked; the default network when absent.
  static Result<std::string> network_param(const HttpRequest& request) {
    auto found = request.query.find("network");
    if (found == request.query.end()) return std::string(proto::kDefaultNetwork);
    if (Status valid = proto::validate_network_name(found->second); !valid) return valid.error();
    return found->second;
  }

  asio::awaitable<HttpResponse> stats(const HttpRequest& request, const PathParams&) {
    auto network = network_param(request);
    if (!network) co_return error_response(network.error());
    auto stats = co_await store_->stats(*network);
    if (!stats) co_return error_response(stats.error());
    co_return json_response(200, to_json(*stats));
  }

  // Waits until the view holds every change made before this call, so that a read sees the
  // caller's own writes.
  asio::awaitable<Status> catch_up() {
    auto revision = co_await store_->revision();
    if (!revision) co_return revision.error();
    if (co_await view_.wait_until(*revision, Clock::now() + kCatchUp)) co_return Ok{};
    std::string why = view_.feed_error();
    co_return unavailable("view_behind", "this IPAM's view of the cluster is behind Redis (revision " +
                                             std::to_string(*revision) + ")" + (why.empty() ? "" : ": " + why));
  }

  asio::awaitable<HttpResponse> containers(const HttpRequest& request, const PathParams&) {
    std::string host_id;
    if (auto found = request.query.find("host_id"); found != request.query.end()) {
      if (Status valid = validate_host_id(found->second); !valid) co_return error_response(valid.error());
      host_id = found->second;
    }
    std::optional<std::string> network;
    if (request.query.count("network")) {
      auto given = network_param(request);
      if (!given) co_return error_response(given.error());
      network = std::move(*given);
    }
    if (Status ready = co_await catch_up(); !ready) co_return error_response(ready.error());
    json::array out;
    for (const auto& endpoint : view_.endpoints(host_id)) {
      if (!network || endpoint.network == *network) out.push_back(to_json(endpoint));
    }
    co_return json_response(200, out);
  }

  asio::awaitable<HttpResponse> container(const HttpRequest&, const PathParams& params) {
    const std::string& name = params.at("name");
    auto found = co_await store_->find(name);
    if (!found) co_return error_response(found.error());
    if (!found->has_value()) {
      co_return error_response(no_address(name));
    }
    co_return json_response(200, to_json(**found));
  }

  asio::awaitable<HttpResponse> check(const HttpRequest&, const PathParams& params) {
    const std::string& name = params.at("name");
    auto found = co_await store_->find(name);
    if (!found) co_return error_response(found.error());
    co_return json_response(200, to_json(proto::NameCheck{name, std::move(*found)}));
  }

  asio::awaitable<HttpResponse> allocate(const HttpRequest& request, const PathParams&) {
    auto parsed = parse_allocate(request.body, pool_);
    if (!parsed) co_return error_response(parsed.error());
    auto result = co_await store_->allocate(*parsed, request.instance);
    if (metrics_ != nullptr) {
      metrics_->allocation(parsed->network, result ? (result->created ? "created" : "existing") : result.error().code);
    }
    if (!result) co_return error_response(result.error());
    co_return success_response(to_json(proto::Reservation{std::move(result->allocation), result->created}));
  }

  asio::awaitable<HttpResponse> metrics(const HttpRequest&, const PathParams&) {
    co_return co_await metrics_->scrape(*store_, view_);
  }

  asio::awaitable<HttpResponse> release(const HttpRequest& request, const PathParams&) {
    auto parsed = proto::parse_release_request(request.body);
    if (!parsed) co_return error_response(parsed.error());
    auto released = co_await store_->release(*parsed, request.instance);
    if (!released) co_return error_response(released.error());
    if (metrics_ != nullptr) metrics_->release(released->network);
    co_return success_response(to_json(*released));
  }

  asio::awaitable<HttpResponse> record_endpoint(const HttpRequest& request, const PathParams& params) {
    const std::string& name = params.at("name");
    auto parsed = proto::parse_endpoint_record(request.body);
    if (!parsed) co_return error_response(parsed.error());
    auto recorded = co_await store_->record_endpoint(name, parsed->host_id, parsed->mac_address, request.instance);
    if (!recorded) co_return error_response(recorded.error());
    co_return success_response(to_json(*recorded));
  }

  asio::awaitable<HttpResponse> rename(const HttpRequest& request, const PathParams& params) {
    auto parsed = proto::parse_rename_request(request.body);
    if (!parsed) co_return error_response(parsed.error());
    // Only Docker's provisional entries are renamed, after their containers: never onto a gateway's
    // name, which would free the gateway's address under its bridge.
    if (proto::is_agents_name(parsed->container_name)) {
      co_return error_response(bad_input("reserved_name", "'" + parsed->container_name + "' is a name the agents keep for themselves"));
    }
    auto renamed = co_await store_->rename(params.at("name"), parsed->container_name, parsed->host_id, request.instance);
    if (!renamed) co_return error_response(renamed.error());
    co_return success_response(to_json(*renamed));
  }

  asio::awaitable<HttpResponse> register_host(const HttpRequest& request, const PathParams&) {
    auto parsed = proto::parse_host_registration(request.body);
    if (!parsed) co_return error_response(parsed.error());
    auto registered = co_await hosts_->register_host(*parsed, request.instance);
    if (!registered) co_return error_response(registered.error());
    co_return success_response(to_json(proto::Registered{std::move(*parsed), pool_.subnet().to_string()}));
  }

  asio::awaitable<HttpResponse> list_hosts(const HttpRequest&, const PathParams&) {
    if (Status ready = co_await catch_up(); !ready) co_return error_response(ready.error());
    auto ages = co_await hosts_->heartbeat_ages();
    if (!ages) co_return error_response(ages.error());
    auto counts = view_.container_counts();
    json::array out;
    for (auto& host : view_.hosts()) {
      uint64_t age = (*ages)[host.host_id];
      uint64_t containers = counts[host.host_id];
      out.push_back(to_json(proto::HostStatus{std::move(host), age, containers}));
    }
    co_return json_response(200, out);
  }

  asio::awaitable<HttpResponse> heartbeat(const HttpRequest& request, const PathParams& params) {
    const std::string& id = params.at("id");
    auto alive = co_await hosts_->heartbeat(id, request.instance);
    if (!alive) co_return error_response(alive.error());
    co_return json_response(200, {{"host_id", id}, {"alive", true}});
  }

  // With release=true, for good: the host's addresses too (host_removal.h).
  asio::awaitable<HttpResponse> leave(const HttpRequest& request, const PathParams& params) {
    const std::string& id = params.at("id");
    auto release = request.query.find("release");
    if (release != request.query.end() && release->second != "true" && release->second != "false") {
      co_return error_response(bad_input("invalid_release", "'release' must be true or false"));
    }
    if (release != request.query.end() && release->second == "true") {
      if (Status ready = co_await catch_up(); !ready) co_return error_response(ready.error());
      auto removed = co_await remove_dead_host(*store_, *hosts_, view_, id);
      if (!removed) co_return error_response(removed.error());
      co_return success_response(to_json(proto::HostRemoval{id, removed->released}));
    }
    auto left = co_await hosts_->leave(id, request.instance);
    if (!left) co_return error_response(left.error());
    co_return success_response({{"host_id", id}});
  }

  // The snapshot, or (with since) the changes after a revision, held up to wait_ms for one.
  asio::awaitable<HttpResponse> peers(const HttpRequest& request, const PathParams&) {
    auto since = number_param(request, "since", UINT64_MAX, "invalid_revision");
    if (!since) co_return error_response(since.error());
    auto wait_ms = number_param(request, "wait_ms", proto::kMaxWaitMs, "invalid_wait");
    if (!wait_ms) co_return error_response(wait_ms.error());
    // A one-off read must see every write made before it, and a watcher may arrive from a replica
    // whose view is ahead of this one's: both catch up with Redis first. A waiting watcher does not:
    // it gets what comes as it comes, and Redis is not asked once per watcher.
    if (!*since || **since > view_.revision() || !view_.loaded() || wait_ms->value_or(0) == 0) {
      if (Status ready = co_await catch_up(); !ready) co_return error_response(ready.error());
    }
    auto body = view_.peers_after(*since);
    if (!body && wait_ms->value_or(0) > 0) {
      co_await view_.wait_past(**since, Clock::now() + std::chrono::milliseconds(**wait_ms));
      body = view_.peers_after(*since);
    }
    if (!body) body = "{\"revision\":" + std::to_string(**since) + ",\"changes\":[]}";
    co_return raw_json(std::move(*body));
  }

  asio::awaitable<HttpResponse> dashboard(const HttpRequest&, const PathParams&) { co_return ui::dashboard_page(); }

  asio::awaitable<HttpResponse> list_networks(const HttpRequest&, const PathParams&) {
    auto networks = co_await store_->networks("");
    if (!networks) co_return error_response(networks.error());
    json::array out;
    for (const auto& network : *networks) out.push_back(to_json(network));
    co_return json_response(200, out);
  }

  asio::awaitable<HttpResponse> network(const HttpRequest&, const PathParams& params) {
    auto networks = co_await store_->networks(params.at("network"));
    if (!networks) co_return error_response(networks.error());
    co_return json_response(200, to_json(networks->front()));
  }

  asio::awaitable<HttpResponse> create_network(const HttpRequest& request, const PathParams&) {
    auto parsed = proto::parse_network_request(request.body);
    if (!parsed) co_return error_response(parsed.error());
    auto created = co_await store_->create_network(*parsed);
    if (!created) co_return error_response(created.error());
    overlays_read_ = {};  // its subnet is refused as a source from now on
    co_return json_response(created->created ? 201 : 200, to_json(created->network));
  }

  asio::awaitable<HttpResponse> delete_network(const HttpRequest&, const PathParams& params) {
    const std::string& name = params.at("network");
    if (Status deleted = co_await store_->delete_network(name); !deleted) co_return error_response(deleted.error());
    co_return success_response({{"name", name}, {"deleted", true}});
  }

  std::unique_ptr<Store> store_;
  std::unique_ptr<HostRegistry> hosts_;
  const PoolSpec& pool_;
  ClusterView& view_;
  std::string warning_;
  IpamMetrics* metrics_;
  std::vector<Cidr> overlays_{pool_.subnet()};
  Clock::time_point overlays_read_{};
};

}  // namespace

std::unique_ptr<Router> make_ipam_router(std::unique_ptr<Store> store, std::unique_ptr<HostRegistry> hosts,
                                         const PoolSpec& pool, ClusterView& view, std::string warning,
                                         IpamMetrics* metrics) {
  return std::make_unique<IpamApi>(std::move(store), std::move(hosts), pool, view, std::move(warning), metrics);
}

}  // namespace vx::ipam
