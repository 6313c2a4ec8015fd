#include "proto/peers.h"

#include <boost/json.hpp>

#include "proto/fields.h"

namespace vx::proto {

namespace json = boost::json;

namespace {

constexpr const char* kPeersAnswer = "the IPAM's /peers answer";

Error bad_answer(const std::string& why) { return internal("bad_answer", std::string(kPeersAnswer) + " " + why); }

Host host_of(Fields& fields, bool key_only) {
  Host host;
  host.host_id = fields.text("host_id");
  if (key_only) return host;
  host.underlay_ip = fields.text("underlay_ip");
  host.agent_url = fields.maybe_text("agent_url").value_or("");
  host.alive = fields.flag("alive");
  return host;
}

Endpoint endpoint_of(Fields& fields) {
  return {fields.text("container_name"), fields.text("ip_address"), fields.text("host_id"),
          fields.maybe_text("mac_address").value_or(""),
          fields.maybe_text("network").value_or(std::string(kDefaultNetwork))};
}

Result<Change> change_of(const json::value& value) {
  Fields fields(value, kPeersAnswer);
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
    Fields host(value, kPeersAnswer);
    snapshot.hosts.push_back(host_of(host, false));
    if (!host.status()) return host.status();
  }
  for (const auto& value : *endpoints) {
    Fields endpoint(value, kPeersAnswer);
    snapshot.endpoints.push_back(endpoint_of(endpoint));
    if (!endpoint.status()) return endpoint.status();
  }
  return Ok{};
}

}  // namespace

Result<Host> parse_host(const json::value& answer) {
  Fields fields(answer, "the IPAM's answer");
  return finish(fields, host_of(fields, false));
}

Result<Endpoint> parse_endpoint(const json::value& answer) {
  Fields fields(answer, "the IPAM's answer");
  return finish(fields, endpoint_of(fields));
}

json::object to_json(const Host& host) {
  return {{"host_id", host.host_id}, {"underlay_ip", host.underlay_ip}, {"agent_url", host.agent_url},
          {"alive", host.alive}};
}

json::object to_json(const Endpoint& endpoint) {
  json::object out{{"container_name", endpoint.container_name},
                   {"ip_address", endpoint.ip_address},
                   {"host_id", endpoint.host_id}};
  if (!endpoint.mac_address.empty()) out["mac_address"] = endpoint.mac_address;
  if (endpoint.network != kDefaultNetwork) out["network"] = endpoint.network;
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
  Fields fields(answer, kPeersAnswer);
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
