#include "proto/peers.h"

#include <boost/json.hpp>

namespace vx::proto {

namespace json = boost::json;

namespace {

Error bad_answer(const std::string& why) { return internal("bad_answer", "the IPAM's /peers answer " + why); }

// Reads a JSON object's fields into a struct, remembering the first field that was missing or of
// the wrong type, so that a decoder is a list of fields and one check at the end.
class Fields {
 public:
  explicit Fields(const json::value& value) : object_(value.if_object()) {
    if (object_ == nullptr) failure_ = "holds a non-object where an object belongs";
  }

  std::string text(std::string_view key, bool required = true) {
    const json::value* found = find(key, required);
    if (found == nullptr) return {};
    if (!found->is_string()) return fail(key, "a string"), std::string();
    return std::string(found->as_string());
  }
  bool flag(std::string_view key) {
    const json::value* found = find(key, true);
    if (found == nullptr) return false;
    if (!found->is_bool()) return fail(key, "a boolean"), false;
    return found->as_bool();
  }
  uint64_t number(std::string_view key) {
    const json::value* found = find(key, true);
    if (found == nullptr) return 0;
    if (found->is_uint64()) return found->as_uint64();
    if (found->is_int64() && found->as_int64() >= 0) return static_cast<uint64_t>(found->as_int64());
    return fail(key, "a non-negative integer"), 0;
  }
  const json::array* list(std::string_view key) {
    const json::value* found = find(key, true);
    if (found == nullptr) return nullptr;
    if (!found->is_array()) return fail(key, "an array"), nullptr;
    return &found->as_array();
  }
  bool has(std::string_view key) const { return object_ != nullptr && object_->contains(key); }
  Status status() const { return failure_.empty() ? Status(Ok{}) : Status(bad_answer(failure_)); }

 private:
  const json::value* find(std::string_view key, bool required) {
    if (object_ == nullptr) return nullptr;
    const json::value* found = object_->if_contains(key);
    if (found == nullptr && required) fail(key, "present");
    return found;
  }
  void fail(std::string_view key, const char* should_be) {
    if (failure_.empty()) failure_ = "has a \"" + std::string(key) + "\" that is not " + should_be;
  }

  const json::object* object_;
  std::string failure_;
};

Host host_of(Fields& fields, bool key_only) {
  Host host;
  host.host_id = fields.text("host_id");
  if (key_only) return host;
  host.underlay_ip = fields.text("underlay_ip");
  host.agent_url = fields.text("agent_url", false);
  host.alive = fields.flag("alive");
  return host;
}

Endpoint endpoint_of(Fields& fields) {
  return {fields.text("container_name"), fields.text("ip_address"), fields.text("host_id"),
          fields.text("mac_address", false)};
}

Result<Change> change_of(const json::value& value) {
  Fields fields(value);
  Change change;
  change.revision = fields.number("revision");
  std::string op = fields.text("op"), kind = fields.text("kind");
  if (!fields.status()) return fields.status().error();
  if (op != "put" && op != "delete") return bad_answer("has a change with op '" + op + "'");
  if (kind != "host" && kind != "endpoint") return bad_answer("has a change of kind '" + kind + "'");
  change.op = op == "put" ? Op::kPut : Op::kDelete;
  change.kind = kind == "host" ? Kind::kHost : Kind::kEndpoint;
  if (change.kind == Kind::kHost) {
    change.host = host_of(fields, change.op == Op::kDelete);
  } else {
    change.endpoint = endpoint_of(fields);
  }
  if (!fields.status()) return fields.status().error();
  return change;
}

Status read_snapshot(Fields& fields, Snapshot& snapshot) {
  const json::array* hosts = fields.list("hosts");
  const json::array* endpoints = fields.list("endpoints");
  if (!fields.status()) return fields.status();
  for (const auto& value : *hosts) {
    Fields host(value);
    snapshot.hosts.push_back(host_of(host, false));
    if (!host.status()) return host.status();
  }
  for (const auto& value : *endpoints) {
    Fields endpoint(value);
    snapshot.endpoints.push_back(endpoint_of(endpoint));
    if (!endpoint.status()) return endpoint.status();
  }
  return Ok{};
}

}  // namespace

json::object to_json(const Host& host) {
  return {{"host_id", host.host_id}, {"underlay_ip", host.underlay_ip}, {"agent_url", host.agent_url},
          {"alive", host.alive}};
}

json::object to_json(const Endpoint& endpoint) {
  json::object out{{"container_name", endpoint.container_name},
                   {"ip_address", endpoint.ip_address},
                   {"host_id", endpoint.host_id}};
  if (!endpoint.mac_address.empty()) out["mac_address"] = endpoint.mac_address;
  return out;
}

json::object to_json(const Change& change) {
  json::object out;
  if (change.kind == Kind::kEndpoint) {
    out = to_json(change.endpoint);
  } else if (change.op == Op::kPut) {
    out = to_json(change.host);
  } else {
    out["host_id"] = change.host.host_id;
  }
  out["revision"] = change.revision;
  out["op"] = change.op == Op::kPut ? "put" : "delete";
  out["kind"] = change.kind == Kind::kHost ? "host" : "endpoint";
  return out;
}

json::object to_json(const Snapshot& snapshot) {
  json::array hosts, endpoints;
  hosts.reserve(snapshot.hosts.size());
  endpoints.reserve(snapshot.endpoints.size());
  for (const auto& host : snapshot.hosts) hosts.push_back(to_json(host));
  for (const auto& endpoint : snapshot.endpoints) endpoints.push_back(to_json(endpoint));
  return {{"revision", snapshot.revision}, {"hosts", std::move(hosts)}, {"endpoints", std::move(endpoints)}};
}

Result<Update> parse_update(const json::value& answer) {
  Fields fields(answer);
  Update update;
  update.revision = fields.number("revision");
  if (!fields.status()) return fields.status().error();
  update.snapshot.revision = update.revision;
  update.full = fields.has("hosts") || fields.has("endpoints");
  update.reset = update.full && fields.has("reset") && fields.flag("reset");
  if (update.full) {
    if (Status read = read_snapshot(fields, update.snapshot); !read) return read.error();
    return update;
  }
  const json::array* changes = fields.list("changes");
  if (!fields.status()) return fields.status().error();
  for (const auto& value : *changes) {
    auto change = change_of(value);
    if (!change) return change.error();
    update.changes.push_back(std::move(*change));
  }
  return update;
}

}  // namespace vx::proto
