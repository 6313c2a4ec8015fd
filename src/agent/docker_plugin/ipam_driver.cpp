#include "agent/docker_plugin/ipam_driver.h"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include "proto/docker_plugin.h"
#include "proto/names.h"

namespace vx::agent {

namespace asio = boost::asio;
namespace json = boost::json;
namespace docker = proto::docker;

namespace {

HttpResponse answer(const json::object& body) {
  HttpResponse response;
  response.body = json::serialize(body);
  response.content_type = std::string(docker::kContentType);
  return response;
}

HttpResponse refuse(const Error& error) {
  int status = 500;
  if (error.kind == ErrorKind::kBadInput || error.kind == ErrorKind::kNotFound) status = 400;
  if (error.kind == ErrorKind::kConflict) status = 409;
  if (error.kind == ErrorKind::kUnavailable) status = 503;
  spdlog::warn("docker plugin: refused: {}", error.detail);
  HttpResponse response = answer({{"Err", error.detail}, {"error", error.code}, {"detail", error.detail}});
  response.status = status;
  return response;
}

// Docker sends bare addresses; a prefix is tolerated and dropped.
Result<Ipv4> address_of(std::string_view text) { return Ipv4::parse(text.substr(0, text.find('/'))); }

std::string with_prefix(Ipv4 address, const Cidr& subnet) {
  return address.to_string() + "/" + std::to_string(subnet.prefix_length());
}

}  // namespace

IpamDriver::IpamDriver(DockerEndpoints& endpoints) : endpoints_(endpoints) {
  add("POST", "/Plugin.Activate", this, &IpamDriver::activate);
  add("POST", "/IpamDriver.GetCapabilities", this, &IpamDriver::capabilities);
  add("POST", "/IpamDriver.GetDefaultAddressSpaces", this, &IpamDriver::address_spaces);
  add("POST", "/IpamDriver.RequestPool", this, &IpamDriver::request_pool);
  add("POST", "/IpamDriver.ReleasePool", this, &IpamDriver::release_pool);
  add("POST", "/IpamDriver.RequestAddress", this, &IpamDriver::request_address);
  add("POST", "/IpamDriver.ReleaseAddress", this, &IpamDriver::release_address);
}

asio::awaitable<HttpResponse> IpamDriver::activate(const HttpRequest&, const PathParams&) {
  co_return answer({{"Implements", json::array{"IpamDriver"}}});
}

// The MAC goes to the registry with the address, so that peers can reach the container before the
// agent learns its name.
asio::awaitable<HttpResponse> IpamDriver::capabilities(const HttpRequest&, const PathParams&) {
  co_return answer({{"RequiresMACAddress", true}, {"RequiresRequestReplay", false}});
}

asio::awaitable<HttpResponse> IpamDriver::address_spaces(const HttpRequest&, const PathParams&) {
  co_return answer({{"LocalDefaultAddressSpace", "vxlan-cluster"}, {"GlobalDefaultAddressSpace", "vxlan-cluster"}});
}

Result<const NetworkSetup*> IpamDriver::network_of_pool(const std::string& pool_id) const {
  auto subnet = Cidr::parse(pool_id);
  if (!subnet) return subnet.error();
  for (const auto& [name, setup] : endpoints_.networks()) {
    if (setup.subnet == *subnet) return &setup;
  }
  return not_found("unknown_pool", "pool " + pool_id + " is no cluster network set up on this host");
}

asio::awaitable<HttpResponse> IpamDriver::request_pool(const HttpRequest& request, const PathParams&) {
  auto parsed = docker::parse_request_pool(request.body);
  if (!parsed) co_return refuse(parsed.error());
  if (parsed->v6) co_return refuse(bad_input("no_ipv6", "the cluster's networks are IPv4 only"));
  if (!parsed->sub_pool.empty()) {
    co_return refuse(bad_input("no_sub_pool", "a cluster network's range is set by vxctl network create, not --ip-range"));
  }
  auto subnet = Cidr::parse(parsed->pool);
  if (!subnet) {
    co_return refuse(bad_input("unknown_pool", "ask for a cluster network's subnet (vxctl network ls); the agent "
                                               "makes the Docker networks that use this driver"));
  }
  // The agent makes these Docker networks while it sets their cluster network up, before it
  // records it: the pool is the subnet, checked when addresses are asked for.
  co_return answer({{"PoolID", subnet->to_string()}, {"Pool", subnet->to_string()}, {"Data", json::object{}}});
}

asio::awaitable<HttpResponse> IpamDriver::release_pool(const HttpRequest& request, const PathParams&) {
  auto parsed = docker::parse_release(request.body, false);
  if (!parsed) co_return refuse(parsed.error());
  co_return answer({});  // the pool is the cluster's: it outlives any one Docker network
}

// The gateway is asked for while the agent sets the network up, with the address it gave Docker
// (this host's, held at the IPAM already): it is answered as asked.
asio::awaitable<HttpResponse> IpamDriver::request_address(const HttpRequest& request, const PathParams&) {
  auto parsed = docker::parse_request_address(request.body);
  if (!parsed) co_return refuse(parsed.error());
  auto pool = Cidr::parse(parsed->pool_id);
  if (!pool) co_return refuse(pool.error());
  std::optional<Ipv4> wanted;
  if (!parsed->address.empty()) {
    auto address = address_of(parsed->address);
    if (!address) co_return refuse(address.error());
    if (!pool->contains(*address)) {
      co_return refuse(bad_input("outside_pool", parsed->address + " is not in " + pool->to_string()));
    }
    wanted = *address;
  }
  auto type = parsed->options.find(std::string(docker::kRequestAddressType));
  if (type != parsed->options.end() && type->second == docker::kGatewayRequest) {
    if (!wanted) co_return refuse(bad_input("no_gateway", "a cluster network's gateway is given by the agent"));
    co_return answer({{"Address", with_prefix(*wanted, *pool)}, {"Data", json::object{}}});
  }
  auto network = network_of_pool(parsed->pool_id);
  if (!network) co_return refuse(network.error());
  const NetworkSetup& setup = **network;
  if (wanted && Ipv4::parse(setup.gateway) && *wanted == *Ipv4::parse(setup.gateway)) {
    co_return refuse(conflict("address_in_use", parsed->address + " is this host's gateway on " +
                                                    setup.devices.network));
  }
  std::string mac;
  if (auto given = parsed->options.find(std::string(docker::kMacOption)); given != parsed->options.end()) {
    mac = given->second;
  }
  std::string network_name = setup.devices.network;
  auto address = co_await endpoints_.request_address(network_name, wanted, mac);
  if (!address) co_return refuse(address.error());
  co_return answer({{"Address", with_prefix(*address, *pool)}, {"Data", json::object{}}});
}

asio::awaitable<HttpResponse> IpamDriver::release_address(const HttpRequest& request, const PathParams&) {
  auto parsed = docker::parse_release(request.body, true);
  if (!parsed) co_return refuse(parsed.error());
  auto network = network_of_pool(parsed->pool_id);
  if (!network) co_return refuse(network.error());
  auto address = address_of(parsed->address);
  if (!address) co_return refuse(address.error());
  auto gateway = Ipv4::parse((*network)->gateway);
  if (gateway && *gateway == *address) co_return answer({});  // the gateway stays this host's
  std::string network_name = (*network)->devices.network;
  if (Status released = co_await endpoints_.release_address(network_name, *address); !released) {
    co_return refuse(released.error());
  }
  co_return answer({});
}

}  // namespace vx::agent
