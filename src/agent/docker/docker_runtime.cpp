#include "agent/docker/docker_runtime.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <charconv>
#include <cstdio>
#include <initializer_list>

namespace vx::agent {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr const char* kBridgeNameOption = "com.docker.network.bridge.name";
constexpr const char* kMtuOption = "com.docker.network.driver.mtu";

// ---------------------------------------------------------------- requests

std::string encoded(std::string_view text) {
  return boost::urls::encode(text, boost::urls::unreserved_chars);
}

// A name or id as one path segment. Dot segments would change which path the daemon routes.
Result<std::string> segment(std::string_view name) {
  if (name.empty() || name == "." || name == "..") {
    return bad_input("invalid_name", "'" + std::string(name) + "' is not a Docker name or id");
  }
  return encoded(name);
}

json::object labels_json(const Labels& labels) {
  json::object out;
  for (const auto& [key, value] : labels) out[key] = value;
  return out;
}

std::string network_request(const NetworkSpec& spec) {
  json::object subnet{{"Subnet", spec.subnet.to_string()}, {"Gateway", spec.gateway.to_string()}};
  json::object ipam{{"Driver", spec.ipam_driver.empty() ? "default" : spec.ipam_driver},
                    {"Config", json::array{std::move(subnet)}}};
  json::object options{{kBridgeNameOption, spec.bridge_name}, {kMtuOption, std::to_string(spec.mtu)}};
  return json::serialize(json::object{{"Name", spec.name},
                                      {"Driver", "bridge"},
                                      {"CheckDuplicate", true},
                                      {"IPAM", std::move(ipam)},
                                      {"Options", std::move(options)},
                                      {"Labels", labels_json(spec.labels)}});
}

std::string container_request(const ContainerSpec& spec) {
  json::object endpoint{{"IPAMConfig", {{"IPv4Address", spec.ip.to_string()}}}};
  json::object endpoints{{spec.network, std::move(endpoint)}};
  // NetworkMode alone keeps the container off Docker's default bridge.
  json::object host{{"NetworkMode", spec.network}};
  if (!spec.dns.empty()) {
    json::array servers;
    for (Ipv4 server : spec.dns) servers.push_back(json::string(server.to_string()));
    host["Dns"] = std::move(servers);
  }
  return json::serialize(json::object{{"Image", spec.image},
                                      {"Labels", labels_json(spec.labels)},
                                      {"HostConfig", std::move(host)},
                                      {"NetworkingConfig", {{"EndpointsConfig", std::move(endpoints)}}}});
}

// The query value {"label":["key=value"]}, escaped: a label may hold '&', '+' or '#'.
std::string label_filter(const std::string& key, const std::string& value) {
  return encoded(json::serialize(json::object{{"label", json::array{key + "=" + value}}}));
}

// Docker reads event times as seconds since the epoch, with a fraction.
std::string event_time(std::chrono::system_clock::time_point at) {
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(at.time_since_epoch()).count();
  char text[32];
  std::snprintf(text, sizeof(text), "%lld.%06lld", static_cast<long long>(micros / 1000000),
                static_cast<long long>(micros % 1000000));
  return text;
}

std::string network_event_filter() {
  return encoded(json::serialize(
      json::object{{"type", json::array{"network"}}, {"event", json::array{"connect", "disconnect"}}}));
}

// Containers with all the labels, destroyed.
std::string removal_filter(const Labels& labels) {
  json::array wanted;
  for (const auto& [key, value] : labels) wanted.push_back(json::string(key + "=" + value));
  return encoded(json::serialize(json::object{
      {"type", json::array{"container"}}, {"event", json::array{"destroy"}}, {"label", std::move(wanted)}}));
}

// ---------------------------------------------------------------- answers

const json::object* object_at(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  return value != nullptr && value->is_object() ? &value->get_object() : nullptr;
}

// Docker writes absent strings as "" or null alike; both read as "".
std::string string_at(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  return value != nullptr && value->is_string() ? std::string(value->get_string()) : std::string();
}

Labels labels_at(const json::object& object, std::string_view key) {
  Labels labels;
  if (const json::object* found = object_at(object, key)) {
    for (const auto& [name, value] : *found) {
      if (value.is_string()) labels[std::string(name)] = std::string(value.get_string());
    }
  }
  return labels;
}

Result<json::value> answer_json(const DockerResponse& response, const std::string& action,
                                json::kind expected) {
  boost::system::error_code ec;
  json::value value = json::parse(response.body, ec);
  if (ec || value.kind() != expected) {
    return internal("bad_docker_answer", action + ": the daemon's answer is not the JSON expected: " +
                                             response.body.substr(0, 200));
  }
  return value;
}

// The daemon explains an error as {"message": "..."}; anything else is passed on as it came.
std::string docker_message(const DockerResponse& response) {
  boost::system::error_code ec;
  json::value value = json::parse(response.body, ec);
  if (!ec && value.is_object()) {
    if (std::string message = string_at(value.get_object(), "message"); !message.empty()) return message;
  }
  return response.body.substr(0, 200);
}

// How a call reads one error status of the daemon, when it knows better than the default.
struct Meaning {
  int status;
  ErrorKind kind;
  const char* code;
};

Error answer_error(const DockerResponse& response, const std::string& action,
                   std::initializer_list<Meaning> meanings = {}) {
  std::string detail = action + ": " + docker_message(response);
  for (const Meaning& meaning : meanings) {
    if (meaning.status == response.status) return Error{meaning.kind, meaning.code, detail};
  }
  if (response.status == 400) return bad_input("invalid_request", detail);
  if (response.status == 403 || response.status == 409) return conflict("conflict", detail);
  if (response.status == 404) return not_found("not_found", detail);
  if (response.status >= 500) return unavailable("docker_error", detail);
  return internal("unexpected_answer", detail + " (HTTP " + std::to_string(response.status) + ")");
}

constexpr Meaning kUnknownContainer{404, ErrorKind::kNotFound, "unknown_container"};
constexpr Meaning kUnknownNetwork{404, ErrorKind::kNotFound, "unknown_network"};

NetworkInfo read_network(const json::object& object) {
  NetworkInfo info;
  info.id = string_at(object, "Id");
  info.name = string_at(object, "Name");
  info.driver = string_at(object, "Driver");
  if (const json::object* ipam = object_at(object, "IPAM")) {
    if (std::string driver = string_at(*ipam, "Driver"); driver != "default") info.ipam_driver = driver;
    const json::value* configs = ipam->if_contains("Config");
    if (configs != nullptr && configs->is_array() && !configs->get_array().empty() &&
        configs->get_array()[0].is_object()) {
      const json::object& config = configs->get_array()[0].get_object();
      info.subnet = string_at(config, "Subnet");
      info.gateway = string_at(config, "Gateway");
    }
  }
  if (const json::object* options = object_at(object, "Options")) {
    info.bridge_name = string_at(*options, kBridgeNameOption);
    std::string mtu = string_at(*options, kMtuOption);
    std::from_chars(mtu.data(), mtu.data() + mtu.size(), info.mtu);
  }
  if (const json::object* containers = object_at(object, "Containers")) {
    info.containers = static_cast<int>(containers->size());
  }
  info.labels = labels_at(object, "Labels");
  return info;
}

// NetworkSettings.Networks: the first network with an address gives the address and MAC. A
// container that has not started has no address yet, only the one it was created with.
void read_attachment(const json::object& container, ContainerInfo& info) {
  const json::object* settings = object_at(container, "NetworkSettings");
  const json::object* networks = settings ? object_at(*settings, "Networks") : nullptr;
  if (networks == nullptr) return;
  for (const auto& [name, value] : *networks) {
    if (!value.is_object()) continue;
    const json::object& network = value.get_object();
    Attachment& attachment = info.networks[std::string(name)];
    attachment.ip_address = string_at(network, "IPAddress");
    attachment.mac_address = string_at(network, "MacAddress");
    if (const json::object* requested = object_at(network, "IPAMConfig")) {
      attachment.requested_ip = string_at(*requested, "IPv4Address");
    }
  }
  for (const auto& [name, value] : *networks) {
    if (!value.is_object()) continue;
    const json::object& network = value.get_object();
    if (std::string ip = string_at(network, "IPAddress"); !ip.empty()) {
      info.ip_address = std::move(ip);
      info.mac_address = string_at(network, "MacAddress");
      return;
    }
    const json::object* requested = object_at(network, "IPAMConfig");
    if (requested != nullptr && info.ip_address.empty()) {
      info.ip_address = string_at(*requested, "IPv4Address");
    }
  }
}

// Docker keeps container names with a leading '/'.
std::string without_leading_slash(std::string name) {
  if (!name.empty() && name.front() == '/') name.erase(0, 1);
  return name;
}

// GET /containers/{id}/json
ContainerInfo read_inspected_container(const json::object& object) {
  ContainerInfo info;
  info.id = string_at(object, "Id");
  info.name = without_leading_slash(string_at(object, "Name"));
  if (const json::object* state = object_at(object, "State")) {
    info.state = string_at(*state, "Status");
    const json::value* pid = state->if_contains("Pid");
    if (pid != nullptr && pid->is_int64()) info.pid = static_cast<int>(pid->get_int64());
  }
  if (const json::object* config = object_at(object, "Config")) {
    info.image = string_at(*config, "Image");
    info.labels = labels_at(*config, "Labels");
  }
  read_attachment(object, info);
  return info;
}

// One entry of GET /containers/json
ContainerInfo read_listed_container(const json::object& object) {
  ContainerInfo info;
  info.id = string_at(object, "Id");
  if (const json::value* names = object.if_contains("Names");
      names != nullptr && names->is_array() && !names->get_array().empty() &&
      names->get_array()[0].is_string()) {
    info.name = without_leading_slash(std::string(names->get_array()[0].get_string()));
  }
  info.image = string_at(object, "Image");
  info.state = string_at(object, "State");
  info.labels = labels_at(object, "Labels");
  read_attachment(object, info);
  return info;
}

}  // namespace

DockerRuntime::DockerRuntime(asio::any_io_executor executor, std::string socket_path,
                             std::chrono::milliseconds timeout, std::chrono::milliseconds work_timeout)
    : client_(std::move(executor), std::move(socket_path)), timeout_(timeout), work_timeout_(work_timeout) {}

asio::awaitable<Status> DockerRuntime::ping() {
  auto response = co_await client_.call("GET", "/_ping", "", quick_deadline());
  if (!response) co_return response.error();
  if (response->status != 200) co_return answer_error(*response, "ping");
  co_return Ok{};
}

// ---------------------------------------------------------------- networks

asio::awaitable<Result<std::optional<json::object>>> DockerRuntime::inspect(std::string path, std::string action) {
  auto response = co_await client_.call("GET", path, "", quick_deadline());
  if (!response) co_return response.error();
  if (response->status == 404) co_return std::optional<json::object>();
  if (response->status != 200) co_return answer_error(*response, action);
  auto object = answer_json(*response, action, json::kind::object);
  if (!object) co_return object.error();
  co_return std::optional<json::object>(std::move(object->get_object()));
}

asio::awaitable<Result<std::optional<NetworkInfo>>> DockerRuntime::inspect_network(const std::string& name) {
  auto path = segment(name);
  if (!path) co_return path.error();
  auto object = co_await inspect("/networks/" + *path, "inspect network " + name);
  if (!object) co_return object.error();
  if (!object->has_value()) co_return std::optional<NetworkInfo>();
  co_return std::optional<NetworkInfo>(read_network(**object));
}

asio::awaitable<Result<NetworkInfo>> DockerRuntime::create_network(const NetworkSpec& spec) {
  auto response = co_await client_.call("POST", "/networks/create", network_request(spec), work_deadline());
  if (!response) co_return response.error();
  std::string action = "create network " + spec.name;
  if (response->status != 201) {
    co_return answer_error(*response, action, {{409, ErrorKind::kConflict, "network_exists"}});
  }
  auto created = answer_json(*response, action, json::kind::object);
  if (!created) co_return created.error();
  NetworkInfo info{string_at(created->get_object(), "Id"), spec.name, "bridge", spec.subnet.to_string(),
                   spec.gateway.to_string(), spec.bridge_name, spec.mtu, 0, spec.labels};
  spdlog::info("docker: created network {} ({}, gateway {}, bridge {}, mtu {}) id {}", info.name,
               info.subnet, info.gateway, info.bridge_name, info.mtu, info.id.substr(0, 12));
  co_return info;
}

asio::awaitable<Status> DockerRuntime::remove_network(const std::string& name) {
  auto path = segment(name);
  if (!path) co_return path.error();
  auto response = co_await client_.call("DELETE", "/networks/" + *path, "", work_deadline());
  if (!response) co_return response.error();
  if (response->status != 204) {
    co_return answer_error(*response, "remove network " + name,
                           {kUnknownNetwork, {403, ErrorKind::kConflict, "network_in_use"}});
  }
  spdlog::info("docker: removed network {}", name);
  co_return Ok{};
}

// ---------------------------------------------------------------- containers

asio::awaitable<Result<ContainerInfo>> DockerRuntime::create_container(const ContainerSpec& spec) {
  auto response = co_await client_.call("POST", "/containers/create?name=" + encoded(spec.name),
                                        container_request(spec), work_deadline());
  if (!response) co_return response.error();
  std::string action = "create container " + spec.name;
  if (response->status == 404) {
    co_return bad_input("unknown_image", action + ": image '" + spec.image +
                                             "' is not on this host (nothing is pulled): " +
                                             docker_message(*response));
  }
  if (response->status != 201) {
    co_return answer_error(*response, action, {{409, ErrorKind::kConflict, "container_exists"}});
  }
  auto created = answer_json(*response, action, json::kind::object);
  if (!created) co_return created.error();
  ContainerInfo info{string_at(created->get_object(), "Id"), spec.name, spec.image, "created",
                     spec.ip.to_string(), "", spec.labels};
  spdlog::info("docker: created container {} ({}, {} on {}) id {}", info.name, info.image,
               info.ip_address, spec.network, info.id.substr(0, 12));
  co_return info;
}

asio::awaitable<Status> DockerRuntime::start_container(const std::string& id_or_name) {
  auto path = segment(id_or_name);
  if (!path) co_return path.error();
  auto response = co_await client_.call("POST", "/containers/" + *path + "/start", "", work_deadline());
  if (!response) co_return response.error();
  if (response->status == 204 || response->status == 304) co_return Ok{};  // 304: already running
  // A 404 names either the container or the network it was created on.
  bool network_missing = response->status == 404 &&
                         !docker_message(*response).starts_with("No such container");
  co_return answer_error(*response, "start container " + id_or_name,
                         {network_missing ? kUnknownNetwork : kUnknownContainer,
                          {403, ErrorKind::kConflict, "address_in_use"}});
}

asio::awaitable<Result<std::optional<ContainerInfo>>> DockerRuntime::inspect_container(
    const std::string& id_or_name) {
  auto path = segment(id_or_name);
  if (!path) co_return path.error();
  auto object = co_await inspect("/containers/" + *path + "/json", "inspect container " + id_or_name);
  if (!object) co_return object.error();
  if (!object->has_value()) co_return std::optional<ContainerInfo>();
  co_return std::optional<ContainerInfo>(read_inspected_container(**object));
}

asio::awaitable<Status> DockerRuntime::remove_container(const std::string& id_or_name) {
  auto path = segment(id_or_name);
  if (!path) co_return path.error();
  // force: kill a running container at once rather than wait out its stop timeout.
  auto response = co_await client_.call("DELETE", "/containers/" + *path + "?force=true&v=true", "",
                                        work_deadline());
  if (!response) co_return response.error();
  if (response->status != 204) {
    co_return answer_error(*response, "remove container " + id_or_name, {kUnknownContainer});
  }
  spdlog::info("docker: removed container {}", id_or_name);
  co_return Ok{};
}

asio::awaitable<Result<std::vector<ContainerInfo>>> DockerRuntime::list_containers(
    const std::string& label_key, const std::string& label_value) {
  co_return co_await list("/containers/json?all=true&filters=" + label_filter(label_key, label_value),
                          "list containers labelled " + label_key + "=" + label_value);
}

asio::awaitable<Result<std::vector<ContainerInfo>>> DockerRuntime::list(std::string path, std::string action) {
  auto response = co_await client_.call("GET", path, "", quick_deadline());
  if (!response) co_return response.error();
  if (response->status != 200) co_return answer_error(*response, action);
  auto listed = answer_json(*response, action, json::kind::array);
  if (!listed) co_return listed.error();
  std::vector<ContainerInfo> containers;
  for (const json::value& entry : listed->get_array()) {
    if (!entry.is_object()) continue;
    containers.push_back(read_listed_container(entry.get_object()));
  }
  co_return containers;
}

asio::awaitable<Result<std::vector<ContainerInfo>>> DockerRuntime::list_attached(const std::string& network) {
  std::string filter = encoded(json::serialize(json::object{{"network", json::array{json::string(network)}}}));
  co_return co_await list("/containers/json?all=true&filters=" + filter, "list containers on network " + network);
}

asio::awaitable<Status> DockerRuntime::disconnect(const std::string& network, const std::string& container_id) {
  auto path = segment(network);
  if (!path) co_return path.error();
  json::object body{{"Container", container_id}, {"Force", true}};
  auto response = co_await client_.call("POST", "/networks/" + *path + "/disconnect", json::serialize(body),
                                        work_deadline());
  if (!response) co_return response.error();
  if (response->status != 200) {
    co_return answer_error(*response, "disconnect " + container_id.substr(0, 12) + " from " + network,
                           {{404, ErrorKind::kNotFound, "not_found"}});
  }
  spdlog::info("docker: disconnected {} from {}", container_id.substr(0, 12), network);
  co_return Ok{};
}

// The event stream of a window: one JSON object per line, sent as the events happen, and ended by
// the daemon once `until` has passed. Each event's Actor is handed to `read`.
asio::awaitable<Status> DockerRuntime::read_events(
    const std::string& filter, std::chrono::system_clock::time_point since,
    std::chrono::system_clock::time_point until, const std::string& action,
    const std::function<void(const json::object& actor)>& read) {
  auto wait = std::max(until - std::chrono::system_clock::now(), std::chrono::system_clock::duration::zero());
  auto deadline = quick_deadline() + std::chrono::duration_cast<Clock::duration>(wait);
  auto response = co_await client_.call(
      "GET", "/events?since=" + event_time(since) + "&until=" + event_time(until) + "&filters=" + filter, "",
      deadline);
  if (!response) co_return response.error();
  if (response->status != 200) co_return answer_error(*response, action);
  size_t start = 0;
  while (start < response->body.size()) {
    size_t end = std::min(response->body.find('\n', start), response->body.size());
    std::string_view line(response->body.data() + start, end - start);
    start = end + 1;
    if (line.find_first_not_of(" \r\t") == std::string_view::npos) continue;
    boost::system::error_code ec;
    json::value event = json::parse(line, ec);
    if (ec || !event.is_object()) co_return internal("bad_answer", action + ": an event is not a JSON object");
    if (const json::object* actor = object_at(event.get_object(), "Actor")) {
      json::object with_action = *actor;
      with_action["Action"] = string_at(event.get_object(), "Action");
      read(with_action);
    }
  }
  co_return Ok{};
}

asio::awaitable<Result<std::vector<NetworkEvent>>> DockerRuntime::network_events(
    std::chrono::system_clock::time_point since, std::chrono::system_clock::time_point until) {
  std::vector<NetworkEvent> events;
  // Named, not a temporary: GCC 12 mishandles temporaries that live across a co_await.
  std::function<void(const json::object&)> keep = [&events](const json::object& actor) {
    const json::object* attributes = object_at(actor, "Attributes");
    if (attributes == nullptr) return;
    events.push_back({string_at(actor, "Action"), string_at(*attributes, "name"), string_at(*attributes, "container")});
  };
  std::string filter = network_event_filter();
  Status read = co_await read_events(filter, since, until, "follow network events", keep);
  if (!read) co_return read.error();
  co_return events;
}

asio::awaitable<Result<std::vector<std::string>>> DockerRuntime::removed_containers(
    const Labels& labels, std::chrono::system_clock::time_point since, std::chrono::system_clock::time_point until) {
  std::vector<std::string> names;
  std::function<void(const json::object&)> keep = [&names](const json::object& actor) {
    const json::object* attributes = object_at(actor, "Attributes");
    std::string name = attributes ? string_at(*attributes, "name") : "";
    if (!name.empty()) names.push_back(std::move(name));
  };
  std::string filter = removal_filter(labels);
  Status read = co_await read_events(filter, since, until, "follow container removals", keep);
  if (!read) co_return read.error();
  co_return names;
}

}  // namespace vx::agent
