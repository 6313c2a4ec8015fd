#include "proto/agent.h"

#include <cmath>
#include <numeric>

#include "proto/fields.h"
#include "proto/names.h"

namespace vx::proto {

namespace json = boost::json;

namespace {

constexpr const char* kAgentAnswer = "the agent's answer";

struct Range {
  int64_t low;
  int64_t high;
  const char* code;  // the 400 for a number outside
};

// An optional integer of a request, absent or within `range`.
Status check_range(const std::optional<int64_t>& number, std::string_view key, Range range) {
  if (number && (*number < range.low || *number > range.high)) {
    return bad_input(range.code, "field '" + std::string(key) + "' must be from " + std::to_string(range.low) +
                                     " to " + std::to_string(range.high));
  }
  return Ok{};
}

Status read_target(PingRequest& request) {
  const std::string& target = request.target;
  if (target.find_first_not_of("0123456789.") == std::string::npos) {
    auto ip = Ipv4::parse(target);
    if (!ip || !ip->is_unicast()) {
      return bad_input("invalid_target", "target '" + target + "' is not a unicast IPv4 address");
    }
    request.target_ip = *ip;
    return Ok{};
  }
  if (!validate_container_name(target)) {
    return bad_input("invalid_target", "target '" + target.substr(0, 64) +
                                           "' is neither a container name nor an IPv4 address");
  }
  return Ok{};
}

// Milliseconds to the microsecond: finer is noise.
double rounded_ms(double ms) { return std::round(ms * 1000.0) / 1000.0; }

}  // namespace

std::optional<double> PingReport::average_rtt_ms() const {
  if (rtt_ms.empty()) return std::nullopt;
  return std::accumulate(rtt_ms.begin(), rtt_ms.end(), 0.0) / static_cast<double>(rtt_ms.size());
}

json::object to_json(const CreateRequest& request) {
  json::object out{{"container_name", request.container_name}, {"image", request.image}};
  if (request.network != kDefaultNetwork) out["network"] = request.network;
  return out;
}

json::object to_json(const Container& container) {
  return {{"container_id", container.container_id}, {"container_name", container.container_name},
          {"ip_address", container.ip_address},     {"mac_address", container.mac_address},
          {"host_id", container.host_id},           {"image", container.image},
          {"status", container.status},             {"network", container.network}};
}

json::object to_json(const PingRequest& request) {
  json::object out{{"target", request.target}, {"count", request.count}, {"timeout_ms", request.timeout.count()}};
  if (request.port) out["port"] = *request.port;
  return out;
}

json::object to_json(const PingReport& report) {
  json::array rtts;
  for (double rtt : report.rtt_ms) rtts.push_back(rounded_ms(rtt));
  json::object out{{"container_name", report.container_name},
                   {"host_id", report.host_id},
                   {"source_ip", report.source_ip},
                   {"target", report.target},
                   {"target_ip", report.target_ip},
                   {"method", report.port ? "tcp" : "icmp"},
                   {"sent", report.sent},
                   {"received", report.received()},
                   {"reachable", report.received() > 0},
                   {"rtt_ms", std::move(rtts)}};
  if (report.port) out["port"] = *report.port;
  if (auto average = report.average_rtt_ms()) out["avg_rtt_ms"] = rounded_ms(*average);
  return out;
}

Result<CreateRequest> parse_create_request(std::string_view body) {
  auto request = read_request(body, [](Fields& fields) {
    return CreateRequest{fields.text("container_name"), fields.text("image"),
                         fields.maybe_text("network").value_or(std::string(kDefaultNetwork))};
  });
  if (!request) return request.error();
  if (Status valid = validate_network_name(request->network); !valid) return valid.error();
  return request;
}

Result<PingRequest> parse_ping_request(std::string_view body) {
  struct Given {
    std::string target;
    std::optional<int64_t> count, timeout_ms, port;
  };
  auto given = read_request(body, [](Fields& fields) {
    return Given{fields.text("target"), fields.maybe_integer("count"), fields.maybe_integer("timeout_ms"),
                 fields.maybe_integer("port")};
  });
  if (!given) return given.error();
  PingRequest request;
  request.target = std::move(given->target);
  if (Status valid = read_target(request); !valid) return valid.error();
  if (Status valid = check_range(given->count, "count", {1, 10, "invalid_count"}); !valid) return valid.error();
  if (Status valid = check_range(given->timeout_ms, "timeout_ms", {100, 5000, "invalid_timeout"}); !valid) {
    return valid.error();
  }
  if (Status valid = check_range(given->port, "port", {1, 65535, "invalid_port"}); !valid) return valid.error();
  if (given->count) request.count = static_cast<int>(*given->count);
  if (given->timeout_ms) request.timeout = std::chrono::milliseconds(*given->timeout_ms);
  if (given->port) request.port = static_cast<uint16_t>(*given->port);
  return request;
}

Result<Container> parse_container(const json::value& answer) {
  Fields fields(answer, kAgentAnswer);
  Container container{fields.text("container_id"), fields.text("container_name"), fields.text("ip_address"),
                      fields.text("mac_address"),  fields.text("host_id"),        fields.text("image"),
                      fields.text("status"),       fields.maybe_text("network").value_or(std::string(kDefaultNetwork))};
  return finish(fields, std::move(container));
}

Result<std::vector<Container>> parse_containers(const json::value& answer) {
  return parse_list<Container>(answer, kAgentAnswer, parse_container);
}

json::object to_json(const ForwardingEntry& entry) { return {{"mac", entry.mac}, {"dst", entry.dst}}; }

Result<std::vector<ForwardingEntry>> parse_forwarding_entries(const json::value& answer) {
  return parse_list<ForwardingEntry>(answer, kAgentAnswer, [](const json::value& entry) -> Result<ForwardingEntry> {
    Fields fields(entry, kAgentAnswer);
    return finish(fields, ForwardingEntry{fields.text("mac"), fields.text("dst")});
  });
}

Result<PingReport> parse_ping_report(const json::value& answer) {
  Fields fields(answer, kAgentAnswer);
  PingReport report{fields.text("container_name"), fields.text("host_id"), fields.text("source_ip"),
                    fields.text("target"),         fields.text("target_ip"), std::nullopt,
                    fields.number("sent"),         fields.numbers("rtt_ms")};
  std::optional<int64_t> port = fields.maybe_integer("port");
  if (Status read = fields.status(); !read) return read.error();
  if (port) {
    if (*port < 1 || *port > 65535) return internal("bad_answer", std::string(kAgentAnswer) + " names port " + std::to_string(*port));
    report.port = static_cast<uint16_t>(*port);
  }
  return report;
}

}  // namespace vx::proto
