#include "ipam/api.h"

#include <boost/json.hpp>

#include "common/names.h"
#include "ipam/requests.h"

namespace vx {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

json::object to_json(const Allocation& allocation) {
  json::object out{{"container_name", allocation.container_name},
                   {"ip_address", allocation.ip_address},
                   {"host_id", allocation.host_id}};
  if (!allocation.mac_address.empty()) out["mac_address"] = allocation.mac_address;
  return out;
}

json::object to_json(const HostRecord& record) {
  return {{"host_id", record.host.host_id},
          {"underlay_ip", record.host.underlay_ip},
          {"agent_url", record.host.agent_url},
          {"heartbeat_age_ms", record.heartbeat_age_ms},
          {"alive", record.alive},
          {"containers", record.containers}};
}

class IpamApi : public Router {
 public:
  IpamApi(std::unique_ptr<Store> store, std::unique_ptr<HostRegistry> hosts, const PoolSpec& pool)
      : store_(std::move(store)), hosts_(std::move(hosts)), pool_(pool) {
    check_param("name", validate_container_name);
    check_param("id", validate_host_id);
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
    add("POST", "/hosts", this, &IpamApi::register_host);
    add("GET", "/hosts", this, &IpamApi::list_hosts);
    add("POST", "/hosts/{id}/heartbeat", this, &IpamApi::heartbeat);
    add("DELETE", "/hosts/{id}", this, &IpamApi::leave);
    add("GET", "/peers", this, &IpamApi::peers);
  }

 private:
  asio::awaitable<HttpResponse> health(const HttpRequest&, const PathParams&) {
    auto status = co_await store_->check_health();
    if (!status) {
      co_return json_response(503, {{"status", "unhealthy"},
                                    {"error", status.error().code},
                                    {"detail", status.error().detail}});
    }
    co_return json_response(200, {{"status", "healthy"}, {"redis", "ok"},
                                  {"network_subnet", pool_.subnet().to_string()}});
  }

  asio::awaitable<HttpResponse> stats(const HttpRequest&, const PathParams&) {
    auto stats = co_await store_->stats();
    if (!stats) co_return error_response(stats.error());
    co_return json_response(200, {{"total_ips", stats->total},
                                  {"allocated_ips", stats->allocated},
                                  {"available_ips", stats->available},
                                  {"network_subnet", stats->subnet}});
  }

  asio::awaitable<HttpResponse> containers(const HttpRequest&, const PathParams&) {
    auto list = co_await store_->list();
    if (!list) co_return error_response(list.error());
    json::array out;
    out.reserve(list->size());
    for (const auto& allocation : *list) out.push_back(to_json(allocation));
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
    if (!found->has_value()) co_return json_response(200, {{"exists", false}, {"container_name", name}});
    json::object out = to_json(**found);
    out["exists"] = true;
    co_return json_response(200, out);
  }

  asio::awaitable<HttpResponse> allocate(const HttpRequest& request, const PathParams&) {
    auto parsed = parse_allocate(request.body, pool_);
    if (!parsed) co_return error_response(parsed.error());
    auto result = co_await store_->allocate(*parsed);
    if (!result) co_return error_response(result.error());
    json::object out = to_json(result->allocation);
    out["created"] = result->created;
    co_return success_response(std::move(out));
  }

  asio::awaitable<HttpResponse> release(const HttpRequest& request, const PathParams&) {
    auto parsed = parse_release(request.body);
    if (!parsed) co_return error_response(parsed.error());
    auto released = co_await store_->release(parsed->container_name, parsed->host_id);
    if (!released) co_return error_response(released.error());
    co_return success_response(to_json(*released));
  }

  asio::awaitable<HttpResponse> record_endpoint(const HttpRequest& request, const PathParams& params) {
    const std::string& name = params.at("name");
    auto parsed = parse_endpoint(request.body);
    if (!parsed) co_return error_response(parsed.error());
    auto recorded = co_await store_->record_endpoint(name, parsed->host_id, parsed->mac_address);
    if (!recorded) co_return error_response(recorded.error());
    co_return success_response(to_json(*recorded));
  }

  asio::awaitable<HttpResponse> register_host(const HttpRequest& request, const PathParams&) {
    auto parsed = parse_host_registration(request.body);
    if (!parsed) co_return error_response(parsed.error());
    auto registered = co_await hosts_->register_host(*parsed);
    if (!registered) co_return error_response(registered.error());
    co_return success_response({{"host_id", parsed->host_id},
                                {"underlay_ip", parsed->underlay_ip},
                                {"agent_url", parsed->agent_url},
                                {"network_subnet", pool_.subnet().to_string()}});
  }

  asio::awaitable<HttpResponse> list_hosts(const HttpRequest&, const PathParams&) {
    auto hosts = co_await hosts_->hosts();
    if (!hosts) co_return error_response(hosts.error());
    json::array out;
    for (const auto& record : *hosts) out.push_back(to_json(record));
    co_return json_response(200, out);
  }

  asio::awaitable<HttpResponse> heartbeat(const HttpRequest&, const PathParams& params) {
    const std::string& id = params.at("id");
    auto alive = co_await hosts_->heartbeat(id);
    if (!alive) co_return error_response(alive.error());
    co_return json_response(200, {{"host_id", id}, {"alive", true}});
  }

  asio::awaitable<HttpResponse> leave(const HttpRequest&, const PathParams& params) {
    const std::string& id = params.at("id");
    auto left = co_await hosts_->leave(id);
    if (!left) co_return error_response(left.error());
    co_return success_response({{"host_id", id}});
  }

  asio::awaitable<HttpResponse> peers(const HttpRequest&, const PathParams&) {
    auto view = co_await hosts_->peers();
    if (!view) co_return error_response(view.error());
    json::array hosts, endpoints;
    for (const auto& host : view->hosts) {
      hosts.push_back({{"host_id", host.host_id}, {"underlay_ip", host.underlay_ip}, {"alive", host.alive}});
    }
    for (const auto& endpoint : view->endpoints) endpoints.push_back(to_json(endpoint));
    co_return json_response(200, {{"hosts", hosts}, {"endpoints", endpoints}});
  }

  std::unique_ptr<Store> store_;
  std::unique_ptr<HostRegistry> hosts_;
  const PoolSpec& pool_;
};

}  // namespace

std::unique_ptr<Router> make_ipam_router(std::unique_ptr<Store> store,
                                         std::unique_ptr<HostRegistry> hosts, const PoolSpec& pool) {
  return std::make_unique<IpamApi>(std::move(store), std::move(hosts), pool);
}

}  // namespace vx
