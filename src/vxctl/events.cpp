#include <boost/json.hpp>
#include <chrono>
#include <ostream>
#include <thread>

#include "vxctl/commands.h"

namespace vx::ctl {

namespace json = boost::json;

namespace {

// Under the IPAM's own limit on a long-poll, so that each wait ends with an answer.
constexpr std::chrono::milliseconds kWait{20000};
constexpr std::chrono::seconds kRetry{1};

std::string now_text() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  char out[40];
  std::snprintf(out, sizeof out, "%s.%03dZ", text, static_cast<int>(ms));
  return out;
}

void print_change(const Output& output, const proto::Change& change, const std::string& time) {
  if (output.json) {
    json::object line = proto::to_json(change);
    line["time"] = time;
    output.out << json::serialize(line) << std::endl;
    return;
  }
  output.out << describe_change(change, time) << std::endl;
}

void print_reset(const Output& output, const proto::Update& update, std::optional<uint64_t> since,
                 const std::string& time) {
  if (output.json) {
    output.out << json::serialize(json::object{{"time", time}, {"revision", update.revision}, {"reset", true}})
               << std::endl;
    return;
  }
  output.out << time << "  r" << update.revision << "  reset: the IPAM cannot continue from r"
             << (since ? std::to_string(*since) : "?") << "; following on from its snapshot ("
             << update.snapshot.hosts.size() << " hosts, " << update.snapshot.endpoints.size() << " names)"
             << std::endl;
}

}  // namespace

std::string describe_change(const proto::Change& change, const std::string& time) {
  std::string line = time + "  r" + std::to_string(change.revision) + "  ";
  bool put = change.op == proto::Op::kPut;
  if (change.kind == proto::Kind::kHost) {
    const proto::Host& host = change.host;
    line += std::string("host ") + (put ? "put     " : "delete  ") + host.host_id;
    if (put) line += "  " + host.underlay_ip + " " + (host.alive ? "alive" : "quiet") + "  " + host.agent_url;
    return line;
  }
  const proto::Endpoint& endpoint = change.endpoint;
  line += std::string("endpoint ") + (put ? "put     " : "delete  ") + endpoint.container_name + "  " +
          endpoint.ip_address + " on " + endpoint.host_id;
  if (put) line += " (" + endpoint.network + (endpoint.mac_address.empty() ? "" : ", " + endpoint.mac_address) + ")";
  return line;
}

Result<int> follow_events(ClusterClient& cluster, const Output& output, const EventsCommand& command) {
  std::optional<uint64_t> since = command.since;
  if (!since) {
    auto start = cluster.watch(std::nullopt, kWait);
    if (!start) return start.error();
    since = start->revision;
  }
  int64_t printed = 0;
  std::string last_error;
  while (command.count == 0 || printed < command.count) {
    auto update = cluster.watch(since, kWait);
    if (!update) {
      if (update.error().kind != ErrorKind::kUnavailable) return update.error();
      if (update.error().detail != last_error) output.warnings << "vxctl: " << update.error().detail << "; retrying\n";
      last_error = update.error().detail;
      std::this_thread::sleep_for(kRetry);
      continue;
    }
    last_error.clear();
    std::string time = now_text();
    if (update->full) {
      if (update->reset) print_reset(output, *update, since, time);
      since = update->revision;
      continue;
    }
    for (const auto& change : update->changes) {
      if (command.count != 0 && printed == command.count) break;
      print_change(output, change, time);
      ++printed;
      since = change.revision;
    }
  }
  return 0;
}

}  // namespace vx::ctl
