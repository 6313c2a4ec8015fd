// The feed client of feed_client.h: canonical JSON, the spec's shapes of changes and answers,
// views, and the blocking GET /peers calls.
#include "feed_client.h"

#include <algorithm>
#include <set>

#include "common/http_client.h"
#include "support/process.h"

namespace vx::test {

const std::vector<std::string> kNoExpiry{"--host-ttl-ms", "600000"};

milliseconds since_ms(Clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - start);
}

// ---------------------------------------------------------------------------------------------
// JSON

std::string canonical(const json::object& object, bool with_revision) {
  std::map<std::string, std::string> sorted;
  for (const auto& [key, value] : object) {
    if (!with_revision && key == "revision") continue;
    sorted[std::string(key)] = canonical(value);
  }
  std::string out = "{";
  for (const auto& [key, value] : sorted) {
    if (out.size() > 1) out += ",";
    out += json::serialize(json::value(key)) + ":" + value;
  }
  return out + "}";
}

std::string canonical(const json::value& value) {
  if (value.is_object()) return canonical(value.as_object());
  if (value.is_array()) {
    std::string out = "[";
    for (const auto& item : value.as_array()) out += (out.size() > 1 ? "," : "") + canonical(item);
    return out + "]";
  }
  return json::serialize(value);
}

std::optional<int64_t> integer_of(const json::object& object, std::string_view key) {
  auto it = object.find(key);
  if (it == object.end()) return std::nullopt;
  if (it->value().is_int64()) return it->value().as_int64();
  if (it->value().is_uint64()) return static_cast<int64_t>(it->value().as_uint64());
  return std::nullopt;
}

std::string string_of(const json::object& object, std::string_view key) {
  auto it = object.find(key);
  return it != object.end() && it->value().is_string() ? std::string(it->value().as_string()) : "";
}

std::string ip_of(const JsonResponse& response) {
  return response.body.is_object() ? string_of(response.body.as_object(), "ip_address") : "";
}

json::object host_object(const std::string& id, const std::string& underlay, bool alive) {
  return {{"host_id", id}, {"underlay_ip", underlay}, {"agent_url", "http://" + underlay + ":8001"},
          {"alive", alive}};
}

std::string host_body(const std::string& id, const std::string& underlay) {
  return json::serialize(json::object{{"host_id", id}, {"underlay_ip", underlay},
                                      {"agent_url", "http://" + underlay + ":8001"}});
}

std::string endpoint_entry(const std::string& name, const std::string& ip, const std::string& host) {
  return canonical(json::object{{"container_name", name}, {"ip_address", ip}, {"host_id", host}});
}

json::object put_host(const std::string& id, const std::string& underlay, bool alive) {
  json::object out = host_object(id, underlay, alive);
  out["op"] = "put";
  out["kind"] = "host";
  return out;
}

json::object delete_host(const std::string& id) { return {{"op", "delete"}, {"kind", "host"}, {"host_id", id}}; }

json::object put_endpoint(const std::string& name, const std::string& ip, const std::string& host,
                          const std::string& mac) {
  json::object out{{"op", "put"}, {"kind", "endpoint"}, {"container_name", name}, {"ip_address", ip}, {"host_id", host}};
  if (!mac.empty()) out["mac_address"] = mac;
  return out;
}

json::object delete_endpoint(const std::string& name, const std::string& ip, const std::string& host) {
  return {{"op", "delete"}, {"kind", "endpoint"}, {"container_name", name}, {"ip_address", ip}, {"host_id", host}};
}

std::string shape_problem(const json::object& change) {
  std::set<std::string> allowed{"revision", "op", "kind"};
  std::set<std::string> required{"revision", "op", "kind"};
  std::string op = string_of(change, "op"), kind = string_of(change, "kind");
  if (!integer_of(change, "revision")) return "no integer revision";
  if (kind == "host" && op == "put") {
    required.insert({"host_id", "underlay_ip", "agent_url", "alive"});
  } else if (kind == "host" && op == "delete") {
    required.insert("host_id");
  } else if (kind == "endpoint" && op == "put") {
    required.insert({"container_name", "ip_address", "host_id"});
    allowed.insert("mac_address");
  } else if (kind == "endpoint" && op == "delete") {
    required.insert({"container_name", "ip_address", "host_id"});
  } else {
    return "unknown op/kind '" + op + "'/'" + kind + "'";
  }
  allowed.insert(required.begin(), required.end());
  for (const auto& key : required) {
    if (!change.contains(key)) return "missing field " + key;
  }
  for (const auto& [key, value] : change) {
    if (!allowed.count(std::string(key))) return "unexpected field " + std::string(key);
  }
  if (kind == "host" && op == "put" && !change.at("alive").is_bool()) return "alive is not a bool";
  return "";
}

std::vector<std::string> without_revisions(const std::vector<json::object>& changes) {
  std::vector<std::string> out;
  for (const auto& change : changes) out.push_back(canonical(change, false));
  return out;
}

std::vector<std::string> with_revisions(const std::vector<json::object>& changes) {
  std::vector<std::string> out;
  for (const auto& change : changes) out.push_back(canonical(change));
  return out;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) out += "  " + line.substr(0, 500) + "\n";
  return out;
}

// ---------------------------------------------------------------------------------------------
// A watcher's view

std::ostream& operator<<(std::ostream& out, const View& view) {
  out << "hosts:\n";
  for (const auto& [id, host] : view.hosts) out << "  " << host << "\n";
  out << "endpoints:\n";
  for (const auto& [name, endpoint] : view.endpoints) out << "  " << endpoint << "\n";
  return out;
}

std::string apply(View& view, const json::object& change) {
  if (auto problem = shape_problem(change); !problem.empty()) return problem + ": " + canonical(change);
  json::object fields = change;
  fields.erase("revision");
  fields.erase("op");
  fields.erase("kind");
  bool put = string_of(change, "op") == "put";
  bool host = string_of(change, "kind") == "host";
  auto& table = host ? view.hosts : view.endpoints;
  std::string key = string_of(change, host ? "host_id" : "container_name");
  if (put) {
    table[key] = canonical(fields);
  } else {
    table.erase(key);
  }
  return "";
}

View replayed(View view, const std::vector<json::object>& changes) {
  for (const auto& change : changes) EXPECT_EQ(apply(view, change), "");
  return view;
}

// ---------------------------------------------------------------------------------------------
// Answers

namespace {

// One array of a snapshot or a reset ("hosts" or "endpoints"), each entry checked as the put
// change it stands for, into `table` by its `key`.
void read_table(const json::array& entries, const std::string& kind, const std::string& key,
                std::map<std::string, std::string>& table, std::string& problem) {
  for (const auto& entry : entries) {
    if (!entry.is_object()) {
      problem = "a" + std::string(kind == "endpoint" ? "n " : " ") + kind + " is not an object";
      continue;
    }
    json::object change = entry.as_object();
    change["revision"] = 0;
    change["op"] = "put";
    change["kind"] = kind;
    if (auto wrong = shape_problem(change); !wrong.empty()) problem = kind + ": " + wrong;
    table[string_of(entry.as_object(), key)] = canonical(entry.as_object());
  }
}

void read_view(const json::object& body, Answer& out) {
  auto hosts = body.find("hosts"), endpoints = body.find("endpoints");
  if (hosts == body.end() || !hosts->value().is_array() || endpoints == body.end() ||
      !endpoints->value().is_array()) {
    out.problem = "no hosts or endpoints array";
    return;
  }
  read_table(hosts->value().as_array(), "host", "host_id", out.view.hosts, out.problem);
  read_table(endpoints->value().as_array(), "endpoint", "container_name", out.view.endpoints, out.problem);
}

Answer parse_answer(const JsonResponse& response, milliseconds took) {
  Answer out;
  out.status = response.status;
  out.raw = response.raw;
  out.took = took;
  if (response.status != 200) return out;
  if (!response.body.is_object()) {
    out.problem = "not a JSON object";
    return out;
  }
  out.body = response.body.as_object();
  auto revision = integer_of(out.body, "revision");
  if (!revision) {
    out.problem = "no integer revision";
  } else {
    out.revision = *revision;
  }
  auto reset = out.body.find("reset");
  out.reset = reset != out.body.end() && reset->value() == true;
  auto changes = out.body.find("changes");
  if (changes != out.body.end()) {
    if (!changes->value().is_array()) {
      out.problem = "changes is not an array";
      return out;
    }
    for (const auto& change : changes->value().as_array()) {
      if (!change.is_object()) {
        out.problem = "a change is not an object";
        continue;
      }
      out.changes.push_back(change.as_object());
    }
  } else {
    read_view(out.body, out);
  }
  return out;
}

}  // namespace

std::string describe(const Answer& answer) {
  return "status " + std::to_string(answer.status) + " after " + std::to_string(answer.took.count()) + " ms" +
         (answer.problem.empty() ? "" : " (" + answer.problem + ")") + ": " + answer.raw.substr(0, 2000);
}

::testing::AssertionResult ok(const Answer& answer) {
  if (answer.status == 200 && answer.problem.empty()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << describe(answer);
}

JsonResponse http_long(uint16_t port, const std::string& method, const std::string& target,
                       milliseconds timeout, const std::string& body) {
  auto response = http_call_blocking({"127.0.0.1", port}, {method, target, body, timeout, ""});
  if (!response) return {};
  boost::system::error_code ec;
  auto parsed = json::parse(response->body, ec);
  return {response->status, ec ? json::value() : parsed, response->body};
}

Answer snapshot(uint16_t port) {
  auto start = Clock::now();
  auto response = http_long(port, "GET", "/peers", 10s);
  Answer out = parse_answer(response, since_ms(start));
  if (out.status == 200 && out.body.contains("changes")) out.problem = "a snapshot with changes";
  return out;
}

Answer poll(uint16_t port, int64_t since, int wait_ms) {
  auto start = Clock::now();
  auto response = http_long(port, "GET", "/peers?since=" + std::to_string(since) + "&wait_ms=" + std::to_string(wait_ms),
                            milliseconds(wait_ms) + 5s);
  Answer out = parse_answer(response, since_ms(start));
  if (out.status != 200 || !out.problem.empty() || out.reset) return out;
  if (!out.body.contains("changes")) {
    out.problem = "neither changes nor a reset";
    return out;
  }
  // Revision order, every change past `since`, and the answer's revision that of the last change.
  int64_t last = since;
  for (const auto& change : out.changes) {
    auto revision = integer_of(change, "revision");
    if (!revision || *revision <= last) {
      out.problem = "revisions not strictly increasing past " + std::to_string(since) + ": " +
                    canonical(change);
      return out;
    }
    last = *revision;
  }
  if (out.revision != last) {
    out.problem = "answer's revision " + std::to_string(out.revision) + " is not that of its last change (" +
                  std::to_string(last) + ")";
  }
  return out;
}

Collected collect(uint16_t port, int64_t since, int64_t until, milliseconds deadline) {
  Collected out;
  out.revision = since;
  auto start = Clock::now();
  while (out.revision < until) {
    if (since_ms(start) > deadline) {
      out.problem = "revision " + std::to_string(out.revision) + " did not reach " + std::to_string(until) +
                    " within " + std::to_string(deadline.count()) + " ms";
      return out;
    }
    Answer answer = poll(port, out.revision, 1000);
    ++out.answers;
    if (answer.status != 200 || !answer.problem.empty() || answer.reset) {
      out.problem = "since=" + std::to_string(out.revision) + ": " + (answer.reset ? "unexpected reset, " : "") +
                    describe(answer);
      return out;
    }
    out.changes.insert(out.changes.end(), answer.changes.begin(), answer.changes.end());
    out.revision = answer.revision;
  }
  return out;
}

const Hosts kHost1{{"host1", "10.0.1.11"}};
const Hosts kTwoHosts{{"host1", "10.0.1.11"}, {"host2", "10.0.1.12"}};

::testing::AssertionResult populate(const IpamDaemon& ipam, const Hosts& hosts, const std::vector<std::string>& names,
                                    const std::string& on, Answer& after) {
  for (const auto& [id, underlay] : hosts) {
    auto response = ipam.post("/hosts", host_body(id, underlay));
    if (response.status != 200) {
      return ::testing::AssertionFailure() << "registering " << id << ": " << response.status << " " << response.raw;
    }
  }
  for (const auto& name : names) {
    auto response = ipam.allocate(name, on);
    if (response.status != 200) {
      return ::testing::AssertionFailure() << "allocating " << name << ": " << response.status << " " << response.raw;
    }
  }
  after = snapshot(ipam.port());
  return ok(after);
}

bool healthy(std::initializer_list<const IpamDaemon*> ipams, milliseconds timeout) {
  return wait_until([&] {
    return std::all_of(ipams.begin(), ipams.end(), [](const IpamDaemon* ipam) { return ipam->get("/health").status == 200; });
  }, timeout);
}

}  // namespace vx::test
