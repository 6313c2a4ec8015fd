#include "probes.h"

#include <boost/json.hpp>
#include <stdexcept>

namespace cpbench {

namespace json = boost::json;

void ProbeBoard::announce(const std::string& name, const std::string& mac) {
  probes_[name] = Probe{mac, {}, std::vector<bool>(watchers_, false), 0, {}};
}

void ProbeBoard::recorded(const std::string& name, Clock::time_point answered) { probes_.at(name).answered = answered; }

void ProbeBoard::seen(size_t watcher, const std::string& name, const std::string& mac) {
  auto found = probes_.find(name);
  if (found == probes_.end() || found->second.mac != mac || found->second.seen_by[watcher]) return;
  Probe& probe = found->second;
  probe.seen_by[watcher] = true;
  ++probe.sightings;
  probe.last_sighting = Clock::now();
}

const ProbeBoard::Probe& ProbeBoard::probe(const std::string& name) const {
  auto found = probes_.find(name);
  if (found == probes_.end()) throw std::logic_error("no probe named " + name);
  return found->second;
}

bool ProbeBoard::seen_by_all(const std::string& name) const { return probe(name).sightings == watchers_; }

double ProbeBoard::propagation_ms(const std::string& name) const {
  const Probe& found = probe(name);
  if (found.last_sighting <= found.answered) return 0;
  return std::chrono::duration<double, std::milli>(found.last_sighting - found.answered).count();
}

void ProbeWatcher::on_snapshot(const json::object& snapshot) {
  const json::value* endpoints = snapshot.if_contains("endpoints");
  if (!endpoints || !endpoints->is_array()) throw FeedBroken("a reset without \"endpoints\"");
  for (const json::value& endpoint : endpoints->as_array()) {
    if (endpoint.is_object()) report(endpoint.as_object());
  }
}

void ProbeWatcher::on_change(const json::object& change) {
  const json::value* kind = change.if_contains("kind");
  const json::value* op = change.if_contains("op");
  if (kind && *kind == "endpoint" && op && *op == "put") report(change);
}

void ProbeWatcher::report(const json::object& endpoint) {
  const json::value* name = endpoint.if_contains("container_name");
  const json::value* mac = endpoint.if_contains("mac_address");
  if (!name || !name->is_string() || !mac || !mac->is_string()) return;
  board_.seen(index_, std::string(name->as_string()), std::string(mac->as_string()));
}

}  // namespace cpbench
