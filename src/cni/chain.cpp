#include "cni/chain.h"

#include <algorithm>
#include <string>
#include <string_view>

#include "common/ipv4.h"

namespace vx::cni {

namespace json = boost::json;

namespace {

Error not_a(std::string_view part, const char* should_be) {
  return bad_input("invalid_prev_result", "prevResult's '" + std::string(part) + "' must be " + should_be);
}

// Where `part` is a list of objects (or absent), copies it into `out`.
Status read_list(const json::object& result, std::string_view part, json::array& out) {
  const json::value* found = result.if_contains(part);
  if (found == nullptr || found->is_null()) return Ok{};
  if (!found->is_array()) return not_a(part, "a list");
  for (const auto& entry : found->get_array()) {
    if (!entry.is_object()) return not_a(part, "a list of objects");
  }
  out = found->get_array();
  return Ok{};
}

Status read_dns(const json::object& result, json::object& out) {
  const json::value* found = result.if_contains("dns");
  if (found == nullptr || found->is_null()) return Ok{};
  if (!found->is_object()) return not_a("dns", "an object");
  for (std::string_view list : {"nameservers", "search", "options"}) {
    const json::value* entries = found->get_object().if_contains(list);
    if (entries == nullptr) continue;
    bool texts = entries->is_array() && std::all_of(entries->get_array().begin(), entries->get_array().end(),
                                                    [](const json::value& v) { return v.is_string(); });
    if (!texts) return not_a(std::string("dns.") + std::string(list), "a list of strings");
  }
  out = found->get_object();
  return Ok{};
}

// Theirs, then each of ours that theirs lacks.
json::array joined(json::array theirs, const json::array& ours) {
  for (const auto& entry : ours) {
    if (std::find(theirs.begin(), theirs.end(), entry) == theirs.end()) theirs.push_back(entry);
  }
  return theirs;
}

}  // namespace

Result<PreviousResult> read_previous(const json::object& prev_result) {
  PreviousResult previous;
  Status read = read_list(prev_result, "interfaces", previous.interfaces);
  if (read) read = read_list(prev_result, "ips", previous.ips);
  if (read) read = read_list(prev_result, "routes", previous.routes);
  if (read) read = read_dns(prev_result, previous.dns);
  if (!read) return read.error();
  return previous;
}

// CNI 1.1 lets a route name its table; none is the main one, where ours would go.
bool in_main_table(const json::object& route) {
  constexpr int64_t kMainTable = 254;
  const json::value* table = route.if_contains("table");
  if (table == nullptr || table->is_null()) return true;
  if (table->is_int64()) return table->as_int64() == kMainTable;
  return table->is_uint64() && table->as_uint64() == kMainTable;
}

bool routes_by_default(const PreviousResult& previous) {
  return std::any_of(previous.routes.begin(), previous.routes.end(), [](const json::value& route) {
    const json::value* dst = route.get_object().if_contains("dst");
    if (dst == nullptr || !dst->is_string() || !in_main_table(route.get_object())) return false;
    auto cidr = Cidr::parse(dst->get_string());
    return cidr && cidr->prefix_length() == 0;
  });
}

json::object chained(const PreviousResult& previous, json::object ours) {
  auto shift = static_cast<int64_t>(previous.interfaces.size());
  for (auto& ip : ours["ips"].as_array()) {
    json::value& index = ip.as_object()["interface"];
    if (index.is_int64()) index = index.as_int64() + shift;
  }
  json::array interfaces = previous.interfaces, ips = previous.ips, routes = previous.routes;
  for (auto& entry : ours["interfaces"].as_array()) interfaces.push_back(std::move(entry));
  for (auto& entry : ours["ips"].as_array()) ips.push_back(std::move(entry));
  for (auto& entry : ours["routes"].as_array()) routes.push_back(std::move(entry));
  json::object dns = previous.dns;
  const json::object& our_dns = ours["dns"].as_object();
  for (std::string_view list : {"nameservers", "search"}) {
    const json::value* mine = our_dns.if_contains(list);
    if (mine == nullptr) continue;
    const json::value* theirs = dns.if_contains(list);
    dns[list] = joined(theirs ? theirs->get_array() : json::array{}, mine->get_array());
  }
  ours["interfaces"] = std::move(interfaces);
  ours["ips"] = std::move(ips);
  ours["routes"] = std::move(routes);
  ours["dns"] = std::move(dns);
  return ours;
}

}  // namespace vx::cni
