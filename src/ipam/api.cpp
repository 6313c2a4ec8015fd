#include "ipam/api.h"

#include <boost/json.hpp>

#include "common/names.h"
#include "ipam/requests.h"

namespace vx {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

json::object to_json(const Allocation& allocation) {
  return {{"container_name", allocation.container_name},
          {"ip_address", allocation.ip_address},
          {"host_id", allocation.host_id}};
}

class IpamApi : public Router {
 public:
  IpamApi(std::unique_ptr<Store> store, const PoolSpec& pool) : store_(std::move(store)), pool_(pool) {
    auto bind = [this](auto method) {
      return [this, method](const HttpRequest& request, const PathParams& params) {
        return (this->*method)(request, params);
      };
    };
    add("GET", "/", bind(&IpamApi::health));
    add("GET", "/health", bind(&IpamApi::health));
    add("GET", "/stats", bind(&IpamApi::stats));
    add("GET", "/containers", bind(&IpamApi::containers));
    add("GET", "/container/{name}", bind(&IpamApi::container));
    add("GET", "/check/{name}", bind(&IpamApi::check));
    add("POST", "/allocate", bind(&IpamApi::allocate));
    add("POST", "/deallocate", bind(&IpamApi::release));
    add("POST", "/release", bind(&IpamApi::release));
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
    if (auto valid = validate_container_name(name); !valid) co_return error_response(valid.error());
    auto found = co_await store_->find(name);
    if (!found) co_return error_response(found.error());
    if (!found->has_value()) {
      co_return error_response(not_found("unknown_container", "container '" + name + "' holds no address"));
    }
    co_return json_response(200, to_json(**found));
  }

  asio::awaitable<HttpResponse> check(const HttpRequest&, const PathParams& params) {
    const std::string& name = params.at("name");
    if (auto valid = validate_container_name(name); !valid) co_return error_response(valid.error());
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
    out["success"] = true;
    out["created"] = result->created;
    co_return json_response(200, out);
  }

  asio::awaitable<HttpResponse> release(const HttpRequest& request, const PathParams&) {
    auto parsed = parse_release(request.body);
    if (!parsed) co_return error_response(parsed.error());
    auto released = co_await store_->release(parsed->container_name, parsed->host_id);
    if (!released) co_return error_response(released.error());
    json::object out = to_json(*released);
    out["success"] = true;
    co_return json_response(200, out);
  }

  std::unique_ptr<Store> store_;
  const PoolSpec& pool_;
};

}  // namespace

std::unique_ptr<Router> make_ipam_router(std::unique_ptr<Store> store, const PoolSpec& pool) {
  return std::make_unique<IpamApi>(std::move(store), pool);
}

}  // namespace vx
