#include "proto/cni.h"

#include <boost/json.hpp>

#include <algorithm>

#include "common/ipv4.h"
#include "common/split.h"
#include "proto/fields.h"
#include "proto/names.h"

namespace vx::proto::cni {

namespace json = boost::json;

namespace {

constexpr const char* kCniAnswer = "the agent's CNI answer";
constexpr size_t kMaxContainerId = 256;

bool id_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-'; }

// [A-Za-z0-9][A-Za-z0-9_.-]*, 1 to `max_length` characters: the spec's rule for container ids
// and network configuration names.
bool is_spec_name(std::string_view text, size_t max_length) {
  bool well_formed = !text.empty() && text.size() <= max_length && std::isalnum(static_cast<unsigned char>(text[0]));
  for (char c : text) well_formed = well_formed && id_char(c);
  return well_formed;
}

Error invalid_config(const std::string& detail) { return bad_input("invalid_config", detail); }

Result<std::vector<NetConf::Kept>> read_kept(const json::value& list, std::string_view key) {
  if (!list.is_array()) return invalid_config("'" + std::string(key) + "' must be a list");
  std::vector<NetConf::Kept> kept;
  for (const auto& entry : list.get_array()) {
    const json::object* object = entry.if_object();
    const json::value* id = object ? object->if_contains("containerID") : nullptr;
    const json::value* ifname = object ? object->if_contains("ifname") : nullptr;
    if (id == nullptr || ifname == nullptr || !id->is_string() || !ifname->is_string()) {
      return invalid_config("each of '" + std::string(key) + "' must have a containerID and an ifname");
    }
    kept.push_back({std::string(id->get_string()), std::string(ifname->get_string())});
  }
  return kept;
}

// Optional string fields of the configuration: absent is the default, anything but a string is an
// error naming the field.
Status read_optional(const json::object& config, std::string_view key, std::string& out) {
  const json::value* found = config.if_contains(key);
  if (found == nullptr || found->is_null()) return Ok{};
  if (!found->is_string()) return invalid_config("field '" + std::string(key) + "' must be a string");
  out = std::string(found->get_string());
  return Ok{};
}

}  // namespace

bool is_supported_version(std::string_view version) {
  for (auto known : kVersions) {
    if (known == version) return true;
  }
  return false;
}

Status validate_container_id(std::string_view id) {
  if (!is_spec_name(id, kMaxContainerId)) {
    return bad_input("invalid_container_id",
                     "a container id is 1 to 256 of [A-Za-z0-9_.-], starting with a letter or a digit");
  }
  return Ok{};
}

namespace {

bool all_digits(std::string_view text) {
  return !text.empty() && text.size() <= 10 && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool is_file_name(std::string_view name) { return !name.empty() && name.size() <= 255 && name != "." && name != ".."; }

}  // namespace

Status validate_netns_path(std::string_view path) {
  auto parts = split(path, '/');  // an absolute path's first part is ""
  auto at = [&](size_t i) { return i < parts.size() ? parts[i] : std::string_view(); };
  bool of_process = parts.size() == 5 && at(1) == "proc" && all_digits(at(2)) && at(3) == "ns" && at(4) == "net";
  bool of_thread = parts.size() == 7 && at(1) == "proc" && all_digits(at(2)) && at(3) == "task" && all_digits(at(4)) &&
                   at(5) == "ns" && at(6) == "net";
  bool bound = ((parts.size() == 4 && at(1) == "run" && at(2) == "netns") ||
                (parts.size() == 5 && at(1) == "var" && at(2) == "run" && at(3) == "netns")) &&
               is_file_name(parts.back());
  if (parts.front().empty() && (of_process || of_thread || bound)) return Ok{};
  return bad_input("invalid_netns", "a network namespace is /proc/PID/ns/net, /proc/PID/task/TID/ns/net, "
                                    "/run/netns/NAME or /var/run/netns/NAME, not '" + std::string(path.substr(0, 256)) + "'");
}

Status validate_config_name(std::string_view name) {
  if (!is_spec_name(name, kMaxConfigName)) {
    return invalid_config("a network configuration's name is 1 to 64 of [A-Za-z0-9_.-], starting with a letter or a digit");
  }
  return Ok{};
}

Status validate_ifname(std::string_view ifname) {
  bool well_formed = !ifname.empty() && ifname.size() < 16 && ifname != "." && ifname != "..";
  for (char c : ifname) {
    well_formed = well_formed && c != '/' && c != ':' && !std::isspace(static_cast<unsigned char>(c)) &&
                  std::isprint(static_cast<unsigned char>(c));
  }
  if (!well_formed) return bad_input("invalid_ifname", "an interface name is 1 to 15 characters, none of '/', ':' or space");
  return Ok{};
}

Result<NetConf> parse_net_conf(std::string_view text) {
  auto value = parse_request_body(text);
  if (!value) return value.error();
  const json::object& config = value->get_object();
  NetConf conf;
  std::string type;
  for (auto [key, out] : {std::pair<std::string_view, std::string*>{"cniVersion", &conf.cni_version},
                          {"name", &conf.name}, {"type", &type}}) {
    const json::value* found = config.if_contains(key);
    if (found == nullptr || !found->is_string() || found->get_string().empty()) {
      return invalid_config("field '" + std::string(key) + "' is required, as a string");
    }
    *out = std::string(found->get_string());
  }
  if (type != kPluginType) return invalid_config("type is '" + type + "', not " + std::string(kPluginType));
  if (!is_supported_version(conf.cni_version)) {
    return bad_input("incompatible_version", "cniVersion " + conf.cni_version + " is not one of 1.0.0, 1.1.0");
  }
  conf.network = std::string(kDefaultNetwork);
  for (auto [key, out] : {std::pair<std::string_view, std::string*>{"network", &conf.network},
                          {"agent_url", &conf.agent_url}, {"token_file", &conf.token_file}}) {
    if (Status read = read_optional(config, key, *out); !read) return read.error();
  }
  if (Status valid = validate_config_name(conf.name); !valid) return valid.error();
  if (Status valid = validate_network_name(conf.network); !valid) return invalid_config(valid.error().detail);
  for (std::string_view key : {"cni.dev/valid-attachments", "cni.dev/attachments"}) {
    const json::value* kept = config.if_contains(key);
    if (kept == nullptr) continue;
    auto list = read_kept(*kept, key);
    if (!list) return list.error();
    conf.valid_attachments = std::move(*list);
    break;
  }
  if (const json::value* prev = config.if_contains("prevResult"); prev != nullptr && !prev->is_null()) {
    if (!prev->is_object()) return invalid_config("field 'prevResult' must be an object");
    conf.prev_result = prev->get_object();
  }
  return conf;
}

json::object to_json(const AttachRequest& request) {
  return {{"netns", request.netns},
          {"network", request.network},
          {"name", request.name},
          {"config", request.config},
          {"default_route", request.default_route}};
}

json::object to_json(const Attachment& a) {
  return {{"container_id", a.container_id}, {"ifname", a.ifname},       {"netns", a.netns},
          {"name", a.name},                 {"network", a.network},     {"host_interface", a.host_interface},
          {"mac", a.mac},                   {"address", a.address},     {"prefix_length", a.prefix_length},
          {"gateway", a.gateway},           {"mtu", a.mtu}};
}

json::object to_json(const GcRequest& request) {
  json::array valid;
  for (const auto& kept : request.valid) valid.push_back({{"containerID", kept.container_id}, {"ifname", kept.ifname}});
  return {{"config", request.config}, {"valid", std::move(valid)}};
}

Result<AttachRequest> parse_attach_request(std::string_view body) {
  auto request = read_request(body, [](Fields& fields) {
    return AttachRequest{fields.text("netns"), fields.maybe_text("network").value_or(std::string(kDefaultNetwork)),
                         fields.text("name"), fields.text("config"), fields.maybe_flag("default_route").value_or(true)};
  });
  if (!request) return request.error();
  if (Status valid = validate_netns_path(request->netns); !valid) return valid.error();
  if (Status valid = validate_network_name(request->network); !valid) return valid.error();
  if (Status valid = validate_container_name(request->name); !valid) return valid.error();
  if (Status valid = validate_config_name(request->config); !valid) return valid.error();
  return request;
}

Result<GcRequest> parse_gc_request(std::string_view body) {
  auto value = parse_request_body(body);
  if (!value) return value.error();
  Fields fields(*value, {});
  GcRequest request{fields.text("config"), {}};
  if (Status read = fields.status(); !read) return read.error();
  if (Status valid = validate_config_name(request.config); !valid) return valid.error();
  const json::value* valid = value->get_object().if_contains("valid");
  if (valid == nullptr) return bad_input("missing_field", "field 'valid' is required");
  auto kept = read_kept(*valid, "valid");
  if (!kept) return bad_input("wrong_type", kept.error().detail);
  for (const auto& entry : *kept) {
    if (Status id = validate_container_id(entry.container_id); !id) return id.error();
    if (Status ifname = validate_ifname(entry.ifname); !ifname) return ifname.error();
  }
  request.valid = std::move(*kept);
  return request;
}

Result<Attachment> parse_attachment(const json::value& answer) {
  Fields fields(answer, kCniAnswer);
  Attachment a{fields.text("container_id"), fields.text("ifname"), fields.text("netns"), fields.text("name"),
               fields.text("network"), fields.text("host_interface"), fields.text("mac"), fields.text("address"),
               0, fields.text("gateway"), 0};
  uint64_t prefix_length = fields.number("prefix_length"), mtu = fields.number("mtu");
  if (Status read = fields.status(); !read) return read.error();
  if (prefix_length > 32 || mtu > 65535) return internal("bad_answer", std::string(kCniAnswer) + " has a prefix or MTU out of range");
  a.prefix_length = static_cast<int>(prefix_length);
  a.mtu = static_cast<int>(mtu);
  return a;
}

json::object result_of(const Attachment& a, std::string_view version, bool default_route) {
  json::object inside{{"name", a.ifname}, {"mac", a.mac}, {"sandbox", a.netns}};
  if (version != "1.0.0") inside["mtu"] = a.mtu;  // 1.1.0 added it
  json::array interfaces{json::object{{"name", a.host_interface}}, std::move(inside)};
  json::array ips{json::object{{"address", a.address + "/" + std::to_string(a.prefix_length)},
                               {"gateway", a.gateway},
                               {"interface", 1}}};
  json::array routes;
  if (default_route) routes.push_back(json::object{{"dst", "0.0.0.0/0"}, {"gw", a.gateway}});
  json::object dns{{"nameservers", json::array{json::string(a.gateway)}}};
  return {{"cniVersion", version}, {"interfaces", std::move(interfaces)}, {"ips", std::move(ips)},
          {"routes", std::move(routes)}, {"dns", std::move(dns)}};
}

json::object error_of(std::string_view version, int code, std::string_view msg, std::string_view details) {
  return {{"cniVersion", version}, {"code", code}, {"msg", msg}, {"details", details}};
}

json::object version_answer() {
  json::array versions;
  for (auto version : kVersions) versions.push_back(json::string(version));
  return {{"cniVersion", kVersions[std::size(kVersions) - 1]}, {"supportedVersions", std::move(versions)}};
}

}  // namespace vx::proto::cni
