#include "mirror.h"

#include <boost/json.hpp>

namespace cpbench {

namespace json = boost::json;

namespace {

std::string string_field(const json::object& object, const char* key) {
  const json::value* value = object.if_contains(key);
  if (!value || !value->is_string()) {
    throw FeedBroken(std::string("an entry without a string \"") + key +
                     "\": " + json::serialize(object).substr(0, 200));
  }
  return std::string(value->as_string());
}

bool is_alive(const json::object& host) {
  const json::value* alive = host.if_contains("alive");
  return alive && alive->is_bool() && alive->as_bool();
}

// A change minus what makes it a change: the entry as a snapshot lists it. A copy of its own, as
// the change's memory goes with the answer it came in.
json::object entry_of(const json::object& change) {
  json::object entry(change, json::storage_ptr());
  entry.erase("revision");
  entry.erase("op");
  entry.erase("kind");
  return entry;
}

EntryTable table_of(const json::object& snapshot, const char* list, const char* key) {
  EntryTable table;
  const json::value* entries = snapshot.if_contains(list);
  if (!entries || !entries->is_array()) throw FeedBroken(std::string("a snapshot without \"") + list + "\"");
  for (const json::value& entry : entries->as_array()) {
    if (!entry.is_object()) throw FeedBroken(std::string("an entry of \"") + list + "\" that is not an object");
    table[string_field(entry.as_object(), key)] = entry.as_object();
  }
  return table;
}

void compare(const EntryTable& mirrored, const EntryTable& listed, const std::string& what, size_t limit,
             std::vector<std::string>& out) {
  for (const auto& [key, entry] : mirrored) {
    if (out.size() >= limit) return;
    auto found = listed.find(key);
    if (found == listed.end()) {
      out.push_back(what + " " + key + " is in the mirror but not in GET /peers");
    } else if (found->second != entry) {
      out.push_back(what + " " + key + ": mirror " + json::serialize(entry) + ", GET /peers " +
                    json::serialize(found->second));
    }
  }
  for (const auto& [key, entry] : listed) {
    if (out.size() >= limit) return;
    if (!mirrored.contains(key)) out.push_back(what + " " + key + " is in GET /peers but not in the mirror");
  }
}

}  // namespace

void FeedMirror::on_snapshot(const json::object& snapshot) {
  hosts_ = table_of(snapshot, "hosts", "host_id");
  endpoints_ = table_of(snapshot, "endpoints", "container_name");
}

void FeedMirror::on_change(const json::object& change) {
  std::string op = string_field(change, "op");
  std::string kind = string_field(change, "kind");
  if (kind == "host" && op == "put") {
    put_host(entry_of(change));
  } else if (kind == "host" && op == "delete") {
    hosts_.erase(string_field(change, "host_id"));
  } else if (kind == "endpoint" && op == "put") {
    endpoints_[string_field(change, "container_name")] = entry_of(change);
  } else if (kind == "endpoint" && op == "delete") {
    endpoints_.erase(string_field(change, "container_name"));
  } else {
    throw FeedBroken("a change of unknown op or kind: " + json::serialize(change).substr(0, 200));
  }
}

void FeedMirror::put_host(json::object host) {
  std::string id = string_field(host, "host_id");
  auto known = hosts_.find(id);
  bool was_alive = known == hosts_.end() || is_alive(known->second);
  if (was_alive && !is_alive(host)) ++host_deaths_;
  hosts_[id] = std::move(host);
}

std::vector<std::string> FeedMirror::differences(const json::object& snapshot, size_t limit) const {
  std::vector<std::string> out;
  compare(hosts_, table_of(snapshot, "hosts", "host_id"), "host", limit, out);
  compare(endpoints_, table_of(snapshot, "endpoints", "container_name"), "endpoint", limit, out);
  return out;
}

}  // namespace cpbench
