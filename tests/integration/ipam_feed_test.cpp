// The change feed of vxlan-ipam (GET /peers?since=R&wait_ms=T) on a real Redis and real IPAM
// processes: changes in order and complete, long-polls that wake on a change, bad input, replicas
// that agree (also under concurrent writes), a replica killed under a watcher, a Redis restarted,
// killed, wiped, rolled back or hung, watchers that vanish, shutdown with polls in flight, the
// connection limit, liveness as a change, pages of 10,000 changes, and /containers?host_id=.
//
// A watcher's view is compared with the IPAM's snapshot as sets (hosts by id, endpoints by name,
// each as canonical JSON); every wait is bounded, and timing bounds are generous.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "common/http_client.h"
#include "support/ipam_daemon.h"
#include "support/redis_server.h"

namespace vx::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// A TTL no test outlives: hosts stay alive without heartbeats, so no sweeper change interleaves.
const std::vector<std::string> kNoExpiry{"--host-ttl-ms", "600000"};

milliseconds since_ms(Clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - start);
}

// ---------------------------------------------------------------------------------------------
// JSON helpers

std::string canonical(const json::value& value);

std::string canonical(const json::object& object, bool with_revision = true) {
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

json::object host_object(const std::string& id, const std::string& underlay, bool alive = true) {
  return {{"host_id", id}, {"underlay_ip", underlay}, {"agent_url", "http://" + underlay + ":8001"},
          {"alive", alive}};
}

std::string host_body(const std::string& id, const std::string& underlay) {
  return json::serialize(json::object{{"host_id", id}, {"underlay_ip", underlay},
                                      {"agent_url", "http://" + underlay + ":8001"}});
}

// What a change must look like, without its revision.
json::object put_host(const std::string& id, const std::string& underlay, bool alive = true) {
  json::object out = host_object(id, underlay, alive);
  out["op"] = "put";
  out["kind"] = "host";
  return out;
}
json::object delete_host(const std::string& id) { return {{"op", "delete"}, {"kind", "host"}, {"host_id", id}}; }
json::object put_endpoint(const std::string& name, const std::string& ip, const std::string& host,
                          const std::string& mac = "") {
  json::object out{{"op", "put"}, {"kind", "endpoint"}, {"container_name", name}, {"ip_address", ip}, {"host_id", host}};
  if (!mac.empty()) out["mac_address"] = mac;
  return out;
}
json::object delete_endpoint(const std::string& name, const std::string& ip, const std::string& host) {
  return {{"op", "delete"}, {"kind", "endpoint"}, {"container_name", name}, {"ip_address", ip}, {"host_id", host}};
}

// The problem with a change's shape, in words, or "" when it is what the spec says.
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

// ---------------------------------------------------------------------------------------------
// The feed as a watcher sees it

// Hosts by id and endpoints by name, each as its canonical JSON: compared as sets.
struct View {
  std::map<std::string, std::string> hosts, endpoints;
  bool operator==(const View&) const = default;
};

std::ostream& operator<<(std::ostream& out, const View& view) {
  out << "hosts:\n";
  for (const auto& [id, host] : view.hosts) out << "  " << host << "\n";
  out << "endpoints:\n";
  for (const auto& [name, endpoint] : view.endpoints) out << "  " << endpoint << "\n";
  return out;
}

// Applies one change; returns what was wrong with it, or "".
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

struct Answer {
  int status = 0;
  std::string raw;
  json::object body;
  bool reset = false;
  int64_t revision = -1;
  std::vector<json::object> changes;  // for an incremental answer
  View view;                          // for a snapshot or a reset
  milliseconds took{0};
  std::string problem;  // what is wrong with the answer's shape, or ""
};

// One request with a deadline of our own (http_json's is 5 s; long-polls need more).
JsonResponse http_long(uint16_t port, const std::string& method, const std::string& target,
                       milliseconds timeout, const std::string& body = "") {
  auto response = http_call_blocking({"127.0.0.1", port}, {method, target, body, timeout, ""});
  if (!response) return {};
  boost::system::error_code ec;
  auto parsed = json::parse(response->body, ec);
  return {response->status, ec ? json::value() : parsed, response->body};
}

void read_view(const json::object& body, Answer& out) {
  auto hosts = body.find("hosts"), endpoints = body.find("endpoints");
  if (hosts == body.end() || !hosts->value().is_array() || endpoints == body.end() ||
      !endpoints->value().is_array()) {
    out.problem = "no hosts or endpoints array";
    return;
  }
  for (const auto& host : hosts->value().as_array()) {
    if (!host.is_object()) {
      out.problem = "a host is not an object";
      continue;
    }
    json::object change = host.as_object();
    change["revision"] = 0;
    change["op"] = "put";
    change["kind"] = "host";
    if (auto problem = shape_problem(change); !problem.empty()) out.problem = "host: " + problem;
    out.view.hosts[string_of(host.as_object(), "host_id")] = canonical(host.as_object());
  }
  for (const auto& endpoint : endpoints->value().as_array()) {
    if (!endpoint.is_object()) {
      out.problem = "an endpoint is not an object";
      continue;
    }
    json::object change = endpoint.as_object();
    change["revision"] = 0;
    change["op"] = "put";
    change["kind"] = "endpoint";
    if (auto problem = shape_problem(change); !problem.empty()) out.problem = "endpoint: " + problem;
    out.view.endpoints[string_of(endpoint.as_object(), "container_name")] = canonical(endpoint.as_object());
  }
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

// GET /peers: the snapshot, with its revision.
Answer snapshot(uint16_t port) {
  auto start = Clock::now();
  auto response = http_long(port, "GET", "/peers", 10s);
  Answer out = parse_answer(response, since_ms(start));
  if (out.status == 200 && out.body.contains("changes")) out.problem = "a snapshot with changes";
  return out;
}

// GET /peers?since=R&wait_ms=T, with an HTTP deadline of T + 5 s.
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

std::string describe(const Answer& answer) {
  return "status " + std::to_string(answer.status) + " after " + std::to_string(answer.took.count()) + " ms" +
         (answer.problem.empty() ? "" : " (" + answer.problem + ")") + ": " + answer.raw.substr(0, 2000);
}

// Every change from `since` until the feed's revision reaches `until`, by polls of 1 s.
struct Collected {
  std::vector<json::object> changes;
  int64_t revision = -1;
  int answers = 0;
  std::string problem;
};

Collected collect(uint16_t port, int64_t since, int64_t until, milliseconds deadline = 10s) {
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

std::string ip_of(const JsonResponse& response) {
  return response.body.is_object() ? string_of(response.body.as_object(), "ip_address") : "";
}

// ---------------------------------------------------------------------------------------------
// Raw sockets: for connections that misbehave on purpose

int connect_raw(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

bool send_all(int fd, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

// Closes with a RST, as a process that dies does to its connections.
void close_abruptly(int fd) {
  linger option{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &option, sizeof(option));
  close(fd);
}

bool readable(int fd, milliseconds timeout) {
  pollfd entry{fd, POLLIN, 0};
  return ::poll(&entry, 1, static_cast<int>(timeout.count())) > 0;
}

struct RawResponse {
  int status = 0;  // 0: closed or timed out without a whole answer
  std::string body;
  std::string raw;
};

// Reads one HTTP response (Content-Length or up to the close) within `timeout`.
RawResponse read_response(int fd, milliseconds timeout) {
  RawResponse out;
  auto deadline = Clock::now() + timeout;
  std::string data;
  size_t header_end = std::string::npos;
  std::optional<size_t> length;
  bool closed = false;
  while (true) {
    if (header_end == std::string::npos) {
      header_end = data.find("\r\n\r\n");
      if (header_end != std::string::npos) {
        std::string headers = data.substr(0, header_end);
        std::string lower;
        for (char c : headers) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        auto at = lower.find("content-length:");
        if (at != std::string::npos) length = std::stoul(lower.substr(at + 15));
      }
    }
    if (header_end != std::string::npos && length && data.size() >= header_end + 4 + *length) break;
    if (closed) break;
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    if (left <= 0ms || !readable(fd, left)) break;
    char buffer[4096];
    ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
    if (n <= 0) {
      closed = true;
    } else {
      data.append(buffer, static_cast<size_t>(n));
    }
  }
  out.raw = data;
  if (header_end == std::string::npos || data.compare(0, 9, "HTTP/1.1 ") != 0) return out;
  size_t body_end = length ? std::min(data.size(), header_end + 4 + *length) : data.size();
  if (length && data.size() < header_end + 4 + *length) return out;
  out.status = std::atoi(data.c_str() + 9);
  out.body = data.substr(header_end + 4, body_end - header_end - 4);
  return out;
}

std::string get_request(const std::string& target) {
  return "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n";
}

size_t open_fds(pid_t pid) {
  std::error_code ec;
  size_t count = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++count;
  }
  return count;
}

// ---------------------------------------------------------------------------------------------
// 1. Ordering

TEST(IpamFeed, ChangesComeInOrderAndReplayToTheSnapshot) {
  RedisServer redis;
  IpamDaemon ipam(redis.url(), kNoExpiry);
  // Something before the snapshot, so that replaying works on a view that is not empty.
  ASSERT_EQ(ipam.post("/hosts", host_body("host0", "10.0.1.10")).status, 200);
  auto early = ipam.allocate("early", "host0");
  ASSERT_EQ(early.status, 200);

  Answer start = snapshot(ipam.port());
  ASSERT_EQ(start.status, 200) << describe(start);
  ASSERT_EQ(start.problem, "") << describe(start);
  EXPECT_EQ(start.view.hosts.count("host0"), 1u) << start.view;
  EXPECT_EQ(start.view.endpoints.count("early"), 1u) << start.view;  // read after write, and no MAC needed
  const int64_t from = start.revision;

  std::vector<json::object> expected;
  ASSERT_EQ(ipam.post("/hosts", host_body("host1", "10.0.1.11")).status, 200);
  expected.push_back(put_host("host1", "10.0.1.11"));
  ASSERT_EQ(ipam.post("/hosts", host_body("host2", "10.0.1.12")).status, 200);
  expected.push_back(put_host("host2", "10.0.1.12"));
  ASSERT_EQ(ipam.post("/hosts", host_body("host2", "10.0.1.22")).status, 200);  // moved: a put with the new address
  expected.push_back(put_host("host2", "10.0.1.22"));
  auto gateway = ipam.allocate("vxlan-gateway.host1", "host1");
  ASSERT_EQ(gateway.status, 200);
  expected.push_back(put_endpoint("vxlan-gateway.host1", ip_of(gateway), "host1"));
  auto web = ipam.allocate("web", "host1");
  ASSERT_EQ(web.status, 200);
  expected.push_back(put_endpoint("web", ip_of(web), "host1"));
  // Neither a heartbeat of a live host, nor an idempotent allocate, nor a refused one is a change.
  ASSERT_EQ(ipam.post("/hosts/host1/heartbeat", "").status, 200);
  ASSERT_EQ(ipam.allocate("web", "host1").status, 200);
  ASSERT_EQ(ipam.allocate("web", "host2").status, 409);
  auto db = ipam.allocate("db", "host2");
  ASSERT_EQ(db.status, 200);
  expected.push_back(put_endpoint("db", ip_of(db), "host2"));
  auto mac = ipam.post("/container/web/endpoint", R"({"host_id":"host1","mac_address":"02:42:AC:14:00:05"})");
  ASSERT_EQ(mac.status, 200) << mac.raw;
  expected.push_back(put_endpoint("web", ip_of(web), "host1", "02:42:ac:14:00:05"));
  ASSERT_EQ(ipam.post("/container/db/endpoint", R"({"host_id":"host2","mac_address":"02:42:ac:14:00:06"})").status, 200);
  expected.push_back(put_endpoint("db", ip_of(db), "host2", "02:42:ac:14:00:06"));
  ASSERT_EQ(ipam.release("web").status, 200);
  expected.push_back(delete_endpoint("web", ip_of(web), "host1"));
  ASSERT_EQ(ipam.release("early").status, 200);
  expected.push_back(delete_endpoint("early", ip_of(early), "host0"));
  ASSERT_EQ(http_json(ipam.port(), "DELETE", "/hosts/host2").status, 200);
  expected.push_back(delete_host("host2"));
  ASSERT_EQ(http_json(ipam.port(), "DELETE", "/hosts/host0").status, 200);
  expected.push_back(delete_host("host0"));

  Answer end = snapshot(ipam.port());
  ASSERT_EQ(end.status, 200) << describe(end);
  ASSERT_EQ(end.problem, "") << describe(end);
  // The snapshot read after the writes shows them all.
  EXPECT_EQ(end.view.hosts, (std::map<std::string, std::string>{{"host1", canonical(host_object("host1", "10.0.1.11"))}}));
  EXPECT_EQ(end.view.endpoints.size(), 2u) << end.view;  // db and the gateway

  Collected feed = collect(ipam.port(), from, end.revision);
  ASSERT_EQ(feed.problem, "");
  EXPECT_EQ(feed.revision, end.revision);
  std::vector<std::string> wanted;
  for (const auto& change : expected) wanted.push_back(canonical(change));
  EXPECT_EQ(without_revisions(feed.changes), wanted);
  int64_t last = from;
  for (const auto& change : feed.changes) {
    EXPECT_GT(*integer_of(change, "revision"), last) << canonical(change);
    last = *integer_of(change, "revision");
  }
  EXPECT_EQ(last, end.revision);

  View replayed = start.view;
  for (const auto& change : feed.changes) EXPECT_EQ(apply(replayed, change), "");
  EXPECT_EQ(replayed, end.view);

  // Asked again from the same revision, the feed gives the same changes (it is a log, not a queue).
  Collected again = collect(ipam.port(), from, end.revision);
  ASSERT_EQ(again.problem, "");
  EXPECT_EQ(with_revisions(again.changes), with_revisions(feed.changes));
  // And from the middle, the tail of it.
  ASSERT_GE(feed.changes.size(), 4u);
  int64_t middle = *integer_of(feed.changes[3], "revision");
  Collected tail = collect(ipam.port(), middle, end.revision);
  ASSERT_EQ(tail.problem, "");
  std::vector<std::string> all = with_revisions(feed.changes);
  EXPECT_EQ(with_revisions(tail.changes), std::vector<std::string>(all.begin() + 4, all.end()));
}

// ---------------------------------------------------------------------------------------------
// 2. Long-poll

TEST(IpamFeed, ALongPollReturnsSoonAfterAChange) {
  RedisServer redis;
  IpamDaemon ipam(redis.url(), kNoExpiry);
  ASSERT_EQ(ipam.post("/hosts", host_body("host1", "10.0.1.11")).status, 200);
  Answer start = snapshot(ipam.port());
  ASSERT_EQ(start.status, 200) << describe(start);
  ASSERT_EQ(start.problem, "") << describe(start);
  const int64_t from = start.revision;

  auto pending = std::async(std::launch::async, [&] { return poll(ipam.port(), from, 10000); });
  // It waits: nothing has changed yet.
  ASSERT_EQ(pending.wait_for(700ms), std::future_status::timeout)
      << "a long-poll with nothing new answered at once: " << describe(pending.get());
  auto changed_at = Clock::now();
  auto web = ipam.allocate("web", "host1");
  ASSERT_EQ(web.status, 200);
  ASSERT_EQ(pending.wait_for(9s), std::future_status::ready);
  auto woke_after = since_ms(changed_at);
  Answer answer = pending.get();
  ASSERT_EQ(answer.status, 200) << describe(answer);
  ASSERT_EQ(answer.problem, "") << describe(answer);
  EXPECT_FALSE(answer.reset);
  EXPECT_LT(woke_after, 1500ms) << "the long-poll answered " << woke_after.count() << " ms after the change";
  ASSERT_EQ(answer.changes.size(), 1u) << describe(answer);
  EXPECT_EQ(canonical(answer.changes[0], false), canonical(put_endpoint("web", ip_of(web), "host1")));
  EXPECT_GT(answer.revision, from);

  // Nothing changes: wait_ms=300 answers after about 300 ms, with no change and the same revision.
  Answer quiet = poll(ipam.port(), answer.revision, 300);
  ASSERT_EQ(quiet.status, 200) << describe(quiet);
  ASSERT_EQ(quiet.problem, "") << describe(quiet);
  EXPECT_FALSE(quiet.reset) << describe(quiet);
  EXPECT_TRUE(quiet.changes.empty()) << describe(quiet);
  EXPECT_EQ(quiet.revision, answer.revision);
  EXPECT_GE(quiet.took, 280ms) << describe(quiet);
  EXPECT_LT(quiet.took, 1500ms) << describe(quiet);

  // wait_ms=0 (and no wait_ms) answers at once.
  Answer now = poll(ipam.port(), answer.revision, 0);
  ASSERT_EQ(now.status, 200) << describe(now);
  ASSERT_EQ(now.problem, "") << describe(now);
  EXPECT_TRUE(now.changes.empty()) << describe(now);
  EXPECT_EQ(now.revision, answer.revision);
  EXPECT_LT(now.took, 500ms);
  auto start_default = Clock::now();
  auto no_wait = http_json(ipam.port(), "GET", "/peers?since=" + std::to_string(answer.revision));
  EXPECT_EQ(no_wait.status, 200) << no_wait.raw;
  EXPECT_LT(since_ms(start_default), 500ms);
}

// Many watchers wait on one change: each is woken, each with the same change.
TEST(IpamFeed, ManyWaitersAreAllWokenByOneChange) {
  RedisServer redis;
  IpamDaemon ipam(redis.url(), kNoExpiry);
  Answer start = snapshot(ipam.port());
  ASSERT_EQ(start.status, 200) << describe(start);
  ASSERT_EQ(start.problem, "") << describe(start);
  std::vector<std::future<Answer>> waiters;
  for (int i = 0; i < 20; ++i) {
    waiters.push_back(std::async(std::launch::async, [&] { return poll(ipam.port(), start.revision, 10000); }));
  }
  std::this_thread::sleep_for(500ms);  // let them all reach the IPAM
  auto changed_at = Clock::now();
  ASSERT_EQ(ipam.post("/hosts", host_body("host1", "10.0.1.11")).status, 200);
  for (auto& waiter : waiters) {
    ASSERT_EQ(waiter.wait_for(9s), std::future_status::ready);
    Answer answer = waiter.get();
    ASSERT_EQ(answer.status, 200) << describe(answer);
    ASSERT_EQ(answer.problem, "") << describe(answer);
    ASSERT_EQ(answer.changes.size(), 1u) << describe(answer);
    EXPECT_EQ(canonical(answer.changes[0], false), canonical(put_host("host1", "10.0.1.11")));
  }
  EXPECT_LT(since_ms(changed_at), 2s);
}

// ---------------------------------------------------------------------------------------------
// 3. Bad input

TEST(IpamFeed, BadSinceOrWaitIs400AndChangesNothing) {
  RedisServer redis;
  IpamDaemon ipam(redis.url(), kNoExpiry);
  ASSERT_EQ(ipam.post("/hosts", host_body("host1", "10.0.1.11")).status, 200);
  ASSERT_EQ(ipam.allocate("web", "host1").status, 200);
  Answer before = snapshot(ipam.port());
  ASSERT_EQ(before.status, 200) << describe(before);
  ASSERT_EQ(before.problem, "") << describe(before);
  const std::string r = std::to_string(before.revision);

  const std::vector<std::pair<std::string, std::string>> cases{
      {"/peers?since=-1", "invalid_revision"},
      {"/peers?since=abc", "invalid_revision"},
      {"/peers?since=1.5", "invalid_revision"},
      {"/peers?since=-1&wait_ms=10000", "invalid_revision"},  // and at once, not after the wait
      {"/peers?since=abc&wait_ms=10000", "invalid_revision"},
      {"/peers?since=" + r + "&wait_ms=60001", "invalid_wait"},
      {"/peers?since=" + r + "&wait_ms=x", "invalid_wait"},
      {"/peers?since=" + r + "&wait_ms=-1", "invalid_wait"},
      {"/peers?since=" + r + "&wait_ms=1.5", "invalid_wait"},
  };
  // An integer too large for a revision is refused or answered with a reset, never a failure.
  for (const std::string target : {"/peers?since=99999999999999999999999", "/peers?since=18446744073709551616"}) {
    auto response = http_long(ipam.port(), "GET", target, 10s);
    bool reset = response.body.is_object() && response.body.as_object().contains("reset");
    EXPECT_TRUE((response.status == 400 && response.raw.find("invalid_revision") != std::string::npos) ||
                (response.status == 200 && reset))
        << target << ": " << response.status << " " << response.raw;
  }
  for (const auto& [target, code] : cases) {
    auto start = Clock::now();
    auto response = http_long(ipam.port(), "GET", target, 15s);
    EXPECT_LT(since_ms(start), 2s) << target;
    EXPECT_EQ(response.status, 400) << target << ": " << response.raw;
    ASSERT_TRUE(response.body.is_object()) << target << ": " << response.raw;
    EXPECT_EQ(string_of(response.body.as_object(), "error"), code) << target << ": " << response.raw;
    EXPECT_FALSE(string_of(response.body.as_object(), "detail").empty()) << target << ": " << response.raw;
  }
  // The boundaries are fine: wait_ms=60000 answers at once when there is something to give.
  auto start = Clock::now();
  auto edge = http_long(ipam.port(), "GET", "/peers?since=0&wait_ms=60000", 10s);
  EXPECT_EQ(edge.status, 200) << edge.raw;
  EXPECT_LT(since_ms(start), 2s);

  Answer after = snapshot(ipam.port());
  ASSERT_EQ(after.status, 200) << describe(after);
  ASSERT_EQ(after.problem, "") << describe(after);
  EXPECT_EQ(after.revision, before.revision);
  EXPECT_EQ(after.view, before.view);
  Answer quiet = poll(ipam.port(), before.revision, 0);
  EXPECT_EQ(quiet.status, 200) << describe(quiet);
  EXPECT_TRUE(quiet.changes.empty()) << describe(quiet);
}

// ---------------------------------------------------------------------------------------------
// 4. Two replicas

// A watcher on its own thread: long-polls `port` from `since` until its revision reaches the
// target (set once the changes are made) or the deadline passes.
class Watcher {
 public:
  Watcher(std::vector<uint16_t> ports, int64_t since) : ports_(std::move(ports)), revision_(since) {
    thread_ = std::thread([this] { run(); });
  }
  ~Watcher() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  void finish_at(int64_t revision) { target_ = revision; }
  // Waits for the thread to end; false if it did not within `timeout`.
  bool join(milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    while (!done_ && Clock::now() < deadline) std::this_thread::sleep_for(20ms);
    if (!done_) return false;
    thread_.join();
    return true;
  }
  int64_t revision() const { return revision_; }
  bool polling() const { return polling_; }
  std::vector<json::object> changes() {
    std::lock_guard lock(mutex_);
    return changes_;
  }
  std::vector<std::string> problems() {
    std::lock_guard lock(mutex_);
    return problems_;
  }
  int failovers() const { return failovers_; }
  std::set<uint16_t> ports_used() {
    std::lock_guard lock(mutex_);
    return used_;
  }

 private:
  void run() {
    auto deadline = Clock::now() + 60s;
    size_t current = 0;
    while (!stop_ && Clock::now() < deadline && !(target_ >= 0 && revision_ >= target_)) {
      polling_ = true;
      Answer answer = poll(ports_[current], revision_, 3000);
      polling_ = false;
      std::lock_guard lock(mutex_);
      if (answer.status == 0 || answer.status >= 500) {
        // That replica is gone (or sick): carry on with the next one, from the same revision.
        if (ports_.size() > 1) {
          current = (current + 1) % ports_.size();
          ++failovers_;
        }
        std::this_thread::sleep_for(50ms);
        continue;
      }
      used_.insert(ports_[current]);
      if (answer.status != 200 || !answer.problem.empty() || answer.reset) {
        problems_.push_back("since=" + std::to_string(revision_) + ": " + (answer.reset ? "reset: " : "") +
                            describe(answer));
        if (problems_.size() > 5) break;
        continue;
      }
      changes_.insert(changes_.end(), answer.changes.begin(), answer.changes.end());
      revision_ = answer.revision;
    }
    if (!(target_ >= 0 && revision_ >= target_)) {
      std::lock_guard lock(mutex_);
      problems_.push_back("stopped at revision " + std::to_string(revision_) + ", target " +
                          std::to_string(target_));
    }
    done_ = true;
  }

  std::vector<uint16_t> ports_;
  std::atomic<int64_t> revision_;
  std::atomic<int64_t> target_{-1};
  std::atomic<bool> stop_{false}, done_{false}, polling_{false};
  std::atomic<int> failovers_{0};
  std::mutex mutex_;
  std::vector<json::object> changes_;
  std::vector<std::string> problems_;
  std::set<uint16_t> used_;
  std::thread thread_;
};

TEST(IpamFeed, TwoReplicasGiveTheSameChanges) {
  RedisServer redis;
  IpamDaemon first(redis.url(), kNoExpiry), second(redis.url(), kNoExpiry);
  const IpamDaemon* replicas[] = {&first, &second};
  Answer start = snapshot(first.port());
  ASSERT_EQ(start.status, 200) << describe(start);
  ASSERT_EQ(start.problem, "") << describe(start);
  Answer start_second = snapshot(second.port());
  ASSERT_EQ(start_second.status, 200) << describe(start_second);
  ASSERT_EQ(start_second.problem, "") << describe(start_second);
  EXPECT_EQ(start_second.revision, start.revision);

  Watcher on_first({first.port()}, start.revision), on_second({second.port()}, start.revision);
  std::vector<json::object> expected;
  for (int i = 0; i < 6; ++i) {
    const IpamDaemon& via = *replicas[i % 2];
    std::string host = "host" + std::to_string(i % 3);
    std::string underlay = "10.0.1." + std::to_string(11 + i % 3);
    if (i < 3) {
      ASSERT_EQ(via.post("/hosts", host_body(host, underlay)).status, 200);
      expected.push_back(put_host(host, underlay));
    }
    std::string name = "c" + std::to_string(i);
    auto allocated = via.allocate(name, host);
    ASSERT_EQ(allocated.status, 200);
    expected.push_back(put_endpoint(name, ip_of(allocated), host));
    std::string mac = "02:42:ac:14:00:0" + std::to_string(i);
    ASSERT_EQ(replicas[(i + 1) % 2]->post("/container/" + name + "/endpoint",
                                          json::serialize(json::object{{"host_id", host}, {"mac_address", mac}})).status,
              200);
    expected.push_back(put_endpoint(name, ip_of(allocated), host, mac));
    if (i % 2 == 1) {
      ASSERT_EQ(via.release(name).status, 200);
      expected.push_back(delete_endpoint(name, ip_of(allocated), host));
    }
  }
  ASSERT_EQ(http_json(second.port(), "DELETE", "/hosts/host2").status, 200);
  expected.push_back(delete_host("host2"));

  Answer end = snapshot(first.port());
  ASSERT_EQ(end.status, 200) << describe(end);
  ASSERT_EQ(end.problem, "") << describe(end);
  Answer end_second = snapshot(second.port());  // read after a write made through the other replica
  ASSERT_EQ(end_second.status, 200) << describe(end_second);
  ASSERT_EQ(end_second.problem, "") << describe(end_second);
  EXPECT_EQ(end_second.revision, end.revision);
  EXPECT_EQ(end_second.view, end.view);

  on_first.finish_at(end.revision);
  on_second.finish_at(end.revision);
  ASSERT_TRUE(on_first.join(20s));
  ASSERT_TRUE(on_second.join(20s));
  EXPECT_EQ(on_first.problems(), std::vector<std::string>());
  EXPECT_EQ(on_second.problems(), std::vector<std::string>());
  EXPECT_EQ(with_revisions(on_first.changes()), with_revisions(on_second.changes()));
  std::vector<std::string> wanted;
  for (const auto& change : expected) wanted.push_back(canonical(change));
  EXPECT_EQ(without_revisions(on_first.changes()), wanted);
  View replayed = start.view;
  for (const auto& change : on_second.changes()) EXPECT_EQ(apply(replayed, change), "");
  EXPECT_EQ(replayed, end.view);
}

// A write through one replica is seen by a read on the other at once, and wakes its long-polls.
TEST(IpamFeed, ReplicasSeeEachOthersWritesAtOnce) {
  RedisServer redis;
  IpamDaemon first(redis.url(), kNoExpiry), second(redis.url(), kNoExpiry);
  ASSERT_EQ(first.post("/hosts", host_body("host1", "10.0.1.11")).status, 200);
  for (int i = 0; i < 30; ++i) {
    std::string name = "rw" + std::to_string(i);
    const IpamDaemon& writer = i % 2 ? second : first;
    const IpamDaemon& reader = i % 2 ? first : second;
    ASSERT_EQ(writer.allocate(name, "host1").status, 200);
    Answer read = snapshot(reader.port());
    ASSERT_EQ(read.status, 200) << describe(read);
    EXPECT_EQ(read.view.endpoints.count(name), 1u) << "a read on the other replica right after allocating " << name
                                                   << " does not show it";
  }
  Answer start = snapshot(second.port());
  ASSERT_EQ(start.status, 200) << describe(start);
  auto pending = std::async(std::launch::async, [&] { return poll(second.port(), start.revision, 10000); });
  ASSERT_EQ(pending.wait_for(500ms), std::future_status::timeout);
  auto changed_at = Clock::now();
  auto web = first.allocate("web", "host1");
  ASSERT_EQ(web.status, 200);
  ASSERT_EQ(pending.wait_for(9s), std::future_status::ready);
  EXPECT_LT(since_ms(changed_at), 1500ms);
  Answer answer = pending.get();
  ASSERT_EQ(answer.status, 200) << describe(answer);
  ASSERT_EQ(answer.problem, "") << describe(answer);
  EXPECT_EQ(without_revisions(answer.changes),
            std::vector<std::string>{canonical(put_endpoint("web", ip_of(web), "host1"))});
}

// Writers on both replicas at once, snapshots taken meanwhile: every snapshot, replayed with the
// changes after its revision, ends at the final snapshot, and the watchers of both replicas get
// the same changes.
TEST(IpamFeed, SnapshotsTakenDuringConcurrentWritesReplayToTheEnd) {
  RedisServer redis;
  IpamDaemon first(redis.url(), kNoExpiry), second(redis.url(), kNoExpiry);
  const IpamDaemon* replicas[] = {&first, &second};
  for (int h = 0; h < 4; ++h) {
    ASSERT_EQ(first.post("/hosts", host_body("host" + std::to_string(h), "10.0.1." + std::to_string(11 + h))).status, 200);
  }
  Answer start = snapshot(first.port());
  ASSERT_EQ(start.status, 200) << describe(start);
  ASSERT_EQ(start.problem, "") << describe(start);
  Watcher on_first({first.port()}, start.revision), on_second({second.port()}, start.revision);

  std::atomic<int> running{4}, failed{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&, w] {
      std::string host = "host" + std::to_string(w);
      for (int i = 0; i < 60; ++i) {
        std::string name = "w" + std::to_string(w) + "-" + std::to_string(i);
        const IpamDaemon& via = *replicas[(w + i) % 2];
        if (via.allocate(name, host).status != 200) ++failed;
        char mac[32];
        std::snprintf(mac, sizeof(mac), "02:42:ac:%02x:%02x:%02x", w, i / 256, i % 256);
        if (replicas[(w + i + 1) % 2]->post("/container/" + name + "/endpoint",
                                            json::serialize(json::object{{"host_id", host}, {"mac_address", mac}})).status != 200) {
          ++failed;
        }
        if (i % 3 == 0 && via.release(name).status != 200) ++failed;
        if (i % 20 == 19) {  // a host leaves and comes back
          if (http_json(via.port(), "DELETE", "/hosts/" + host).status != 200) ++failed;
          if (via.post("/hosts", host_body(host, "10.0.1." + std::to_string(11 + w))).status != 200) ++failed;
        }
      }
      --running;
    });
  }
  std::vector<Answer> snapshots;
  for (int i = 0; running > 0 && i < 1000; ++i) {
    snapshots.push_back(snapshot(replicas[i % 2]->port()));
    std::this_thread::sleep_for(20ms);
  }
  for (auto& writer : writers) writer.join();
  ASSERT_EQ(failed, 0);
  Answer end = snapshot(second.port());
  ASSERT_EQ(end.status, 200) << describe(end);
  ASSERT_EQ(end.problem, "") << describe(end);
  EXPECT_EQ(end.view.endpoints.size(), 4u * 40);

  ASSERT_GE(snapshots.size(), 3u);
  for (size_t i = 0; i < snapshots.size(); ++i) {
    const Answer& taken = snapshots[i];
    ASSERT_EQ(taken.status, 200) << describe(taken);
    ASSERT_EQ(taken.problem, "") << describe(taken);
    Collected feed = collect(replicas[(i + 1) % 2]->port(), taken.revision, end.revision);
    ASSERT_EQ(feed.problem, "");
    View replayed = taken.view;
    for (const auto& change : feed.changes) EXPECT_EQ(apply(replayed, change), "");
    EXPECT_EQ(replayed, end.view) << "snapshot " << i << " at revision " << taken.revision
                                  << " replayed does not end at the final snapshot";
  }
  on_first.finish_at(end.revision);
  on_second.finish_at(end.revision);
  ASSERT_TRUE(on_first.join(20s));
  ASSERT_TRUE(on_second.join(20s));
  EXPECT_EQ(on_first.problems(), std::vector<std::string>());
  EXPECT_EQ(on_second.problems(), std::vector<std::string>());
  EXPECT_EQ(with_revisions(on_first.changes()), with_revisions(on_second.changes()));
  View replayed = start.view;
  for (const auto& change : on_first.changes()) EXPECT_EQ(apply(replayed, change), "");
  EXPECT_EQ(replayed, end.view);
}

// A hung Redis does not hang a long-poll past its wait and Redis's deadline.
TEST(IpamFeed, AHungRedisDoesNotHangALongPoll) {
  RedisServer redis;
  IpamDaemon ipam(redis.url(), {"--host-ttl-ms", "600000", "--redis-timeout-ms", "500"});
  ASSERT_EQ(ipam.post("/hosts", host_body("host1", "10.0.1.11")).status, 200);
  Answer start = snapshot(ipam.port());
  ASSERT_EQ(start.status, 200) << describe(start);
  ASSERT_EQ(start.problem, "") << describe(start);
  auto pending = std::async(std::launch::async, [&] { return poll(ipam.port(), start.revision, 1000); });
  std::this_thread::sleep_for(200ms);
  redis.pause();
  Answer during = poll(ipam.port(), start.revision, 1000);
  Answer waited = pending.get();
  redis.resume();
  for (const Answer* answer : {&waited, &during}) {
    EXPECT_TRUE(answer->status == 200 || answer->status == 503) << describe(*answer);
    EXPECT_LT(answer->took, 1000ms + 500ms + 1500ms) << describe(*answer);
    if (answer->status == 200) {
      EXPECT_TRUE(answer->changes.empty()) << describe(*answer);
      EXPECT_FALSE(answer->reset) << describe(*answer);
    }
  }
  ASSERT_TRUE(wait_until([&] { return ipam.get("/health").status == 200; }, 5s));
  auto web = ipam.allocate("web", "host1");
  ASSERT_EQ(web.status, 200);
  Collected feed = collect(ipam.port(), start.revision, snapshot(ipam.port()).revision);
  ASSERT_EQ(feed.problem, "");
  EXPECT_EQ(without_revisions(feed.changes), std::vector<std::string>{canonical(put_endpoint("web", ip_of(web), "host1"))});
}

// ---------------------------------------------------------------------------------------------
// 5. A replica killed under a watcher

TEST(IpamFeed, AWatcherOfAKilledReplicaResumesOnTheOtherWithNothingLostOrDoubled) {
  RedisServer redis;
  auto victim = std::make_unique<IpamDaemon>(redis.url(), kNoExpiry);
  IpamDaemon survivor(redis.url(), kNoExpiry);
  ASSERT_EQ(survivor.post("/hosts", host_body("host1", "10.0.1.11")).status, 200);
  Answer start = snapshot(victim->port());
  ASSERT_EQ(start.status, 200) << describe(start);
  ASSERT_EQ(start.problem, "") << describe(start);

  Watcher watcher({victim->port(), survivor.port()}, start.revision);
  std::set<std::string> names;
  for (int i = 0; i < 5; ++i) {
    std::string name = "before" + std::to_string(i);
    ASSERT_EQ((i % 2 ? survivor : *victim).allocate(name, "host1").status, 200);
    names.insert(name);
  }
  Answer before_kill = snapshot(survivor.port());
  ASSERT_EQ(before_kill.status, 200) << describe(before_kill);
  ASSERT_EQ(before_kill.problem, "") << describe(before_kill);
  // The watcher has caught up and waits in a long-poll on the victim.
  ASSERT_TRUE(wait_until([&] { return watcher.revision() >= before_kill.revision; }, 10s))
      << "the watcher is at " << watcher.revision() << ", the feed at " << before_kill.revision;
  ASSERT_TRUE(wait_until([&] { return watcher.polling(); }, 5s));
  std::this_thread::sleep_for(200ms);
  victim->process().kill9();

  // Changes made while the watcher finds out and moves over.
  for (int i = 0; i < 10; ++i) {
    std::string name = "after" + std::to_string(i);
    auto allocated = survivor.allocate(name, "host1");
    ASSERT_EQ(allocated.status, 200);
    names.insert(name);
  }
  ASSERT_EQ(survivor.release("before0").status, 200);
  ASSERT_EQ(survivor.post("/container/after1/endpoint", R"({"host_id":"host1","mac_address":"02:42:ac:14:01:01"})").status, 200);
  ASSERT_EQ(survivor.post("/hosts", host_body("host2", "10.0.1.12")).status, 200);
  Answer end = snapshot(survivor.port());
  ASSERT_EQ(end.status, 200) << describe(end);
  ASSERT_EQ(end.problem, "") << describe(end);
  watcher.finish_at(end.revision);
  ASSERT_TRUE(watcher.join(30s));
  victim.reset();

  EXPECT_EQ(watcher.problems(), std::vector<std::string>());
  EXPECT_GE(watcher.failovers(), 1);
  EXPECT_EQ(watcher.ports_used().count(survivor.port()), 1u);
  // Exactly the feed as the survivor gives it from the start: nothing lost, nothing twice.
  Collected reference = collect(survivor.port(), start.revision, end.revision);
  ASSERT_EQ(reference.problem, "");
  EXPECT_EQ(with_revisions(watcher.changes()), with_revisions(reference.changes));
  std::set<std::string> revisions;
  for (const auto& change : watcher.changes()) {
    EXPECT_TRUE(revisions.insert(canonical(change.at("revision"))).second) << "twice: " << canonical(change);
  }
  // 5 + 10 allocations, a release, a MAC and a host.
  EXPECT_EQ(watcher.changes().size(), 18u);
  View replayed = start.view;
  for (const auto& change : watcher.changes()) EXPECT_EQ(apply(replayed, change), "");
  EXPECT_EQ(replayed, end.view);
}

// ---------------------------------------------------------------------------------------------
// 6. Redis restarted, Redis wiped

// A watcher as an agent runs one: from its snapshot and revision, apply changes or take a reset,
// until its view is the truth (the IPAM's snapshot) at the truth's revision.
struct Convergence {
  bool converged = false;
  bool saw_reset = false;
  View view;
  int64_t revision = -1;
  std::vector<std::string> log;
};

Convergence converge(uint16_t port, View view, int64_t since, milliseconds deadline = 15s) {
  Convergence out;
  out.view = std::move(view);
  out.revision = since;
  auto start = Clock::now();
  while (since_ms(start) < deadline) {
    Answer answer = poll(port, out.revision, 1000);
    if (answer.status != 200 || !answer.problem.empty()) {
      out.log.push_back(describe(answer));
      std::this_thread::sleep_for(100ms);
      continue;
    }
    if (answer.reset) {
      out.saw_reset = true;
      out.view = answer.view;
      out.log.push_back("reset at " + std::to_string(answer.revision));
    } else {
      for (const auto& change : answer.changes) {
        if (auto problem = apply(out.view, change); !problem.empty()) out.log.push_back(problem);
      }
      if (!answer.changes.empty()) {
        out.log.push_back(std::to_string(answer.changes.size()) + " changes up to " + std::to_string(answer.revision));
      }
    }
    out.revision = answer.revision;
    Answer truth = snapshot(port);
    if (truth.status == 200 && truth.revision == out.revision && truth.view == out.view) {
      out.converged = true;
      return out;
    }
  }
  return out;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) out += "  " + line.substr(0, 500) + "\n";
  return out;
}

// The lines of an IPAM's log about its change feed (lifetimes, loads, resets), for a failure's report.
std::string feed_log(IpamDaemon& ipam) {
  std::istringstream in(ipam.process().log());
  std::string line, out;
  for (int n = 0; std::getline(in, line) && n < 400;) {
    for (const char* word : {"lifetime", "loaded", "change log", "loading again", "Redis"}) {
      if (line.find(word) != std::string::npos) {
        out += "    " + line.substr(0, 300) + "\n";
        ++n;
        break;
      }
    }
  }
  return out;
}

// A watcher that keeps following on its own thread through whatever happens (errors are retried,
// resets taken), as an agent does.
class Follower {
 public:
  Follower(uint16_t port, View view, int64_t since) : port_(port), view_(std::move(view)), revision_(since) {
    thread_ = std::thread([this] { run(); });
  }
  ~Follower() {
    stop_ = true;
    thread_.join();
  }
  std::pair<View, int64_t> state() {
    std::lock_guard lock(mutex_);
    return {view_, revision_};
  }
  int resets() const { return resets_; }
  std::vector<std::string> log() {
    std::lock_guard lock(mutex_);
    return log_;
  }
  // Waits until the follower's view and revision are those of the IPAM's snapshot.
  bool converges(milliseconds timeout) {
    return wait_until([&] {
      Answer truth = snapshot(port_);
      auto [view, revision] = state();
      return truth.status == 200 && truth.revision == revision && truth.view == view;
    }, timeout);
  }

 private:
  void run() {
    while (!stop_) {
      int64_t since;
      {
        std::lock_guard lock(mutex_);
        since = revision_;
      }
      Answer answer = poll(port_, since, 1000);
      std::unique_lock lock(mutex_);
      if (answer.status != 200 || !answer.problem.empty()) {
        if (log_.empty() || log_.back() != describe(answer)) log_.push_back(describe(answer));
        lock.unlock();
        std::this_thread::sleep_for(100ms);
        continue;
      }
      if (answer.reset) {
        ++resets_;
        view_ = answer.view;
        log_.push_back("reset at " + std::to_string(answer.revision));
      } else {
        for (const auto& change : answer.changes) {
          if (auto problem = apply(view_, change); !problem.empty()) log_.push_back(problem);
        }
        if (!answer.changes.empty()) {
          log_.push_back(std::to_string(answer.changes.size()) + " changes up to " + std::to_string(answer.revision));
        }
      }
      revision_ = answer.revision;
    }
  }

  uint16_t port_;
  std::mutex mutex_;
  View view_;
  int64_t revision_;
  std::atomic<int> resets_{0};
  std::atomic<bool> stop_{false};
  std::vector<std::string> log_;
  std::thread thread_;
};

void restart_resets(const std::string& appendfsync, bool kill9) {
  RedisServer redis(appendfsync);
  IpamDaemon ipam(redis.url(), kNoExpiry);
  ASSERT_EQ(ipam.post("/hosts", host_body("host1", "10.0.1.11")).status, 200);
  ASSERT_EQ(ipam.post("/hosts", host_body("host2", "10.0.1.12")).status, 200);
  auto a = ipam.allocate("ca", "host1");
  ASSERT_EQ(a.status, 200);
  Answer old = snapshot(ipam.port());
  ASSERT_EQ(old.status, 200) << describe(old);
  ASSERT_EQ(old.problem, "") << describe(old);
  // One watcher follows all along, long-polling through the restart; another comes back later
  // with the revision it had before.
  Follower live(ipam.port(), old.view, old.revision);
  std::this_thread::sleep_for(300ms);  // it waits in a long-poll now

  kill9 ? redis.kill9() : redis.stop();
  redis.start();
  ASSERT_TRUE(wait_until([&] { return ipam.get("/health").status == 200; }, 10s));
  ASSERT_EQ(ipam.release("ca").status, 200);
  auto b = ipam.allocate("cb", "host2");
  ASSERT_EQ(b.status, 200) << b.raw;

  Answer truth = snapshot(ipam.port());
  ASSERT_EQ(truth.status, 200) << describe(truth);
  ASSERT_EQ(truth.problem, "") << describe(truth);
  View wanted;
  wanted.hosts = {{"host1", canonical(host_object("host1", "10.0.1.11"))},
                  {"host2", canonical(host_object("host2", "10.0.1.12"))}};
  wanted.endpoints = {{"cb", canonical(json::object{{"container_name", "cb"}, {"ip_address", ip_of(b)}, {"host_id", "host2"}})}};
  EXPECT_EQ(truth.view, wanted);  // AOF kept what was there

  Convergence watcher = converge(ipam.port(), old.view, old.revision);
  EXPECT_TRUE(watcher.saw_reset) << "a since from before the restart got no reset:\n" << joined(watcher.log);
  EXPECT_TRUE(watcher.converged) << joined(watcher.log) << watcher.view;
  EXPECT_EQ(watcher.view, wanted);

  EXPECT_TRUE(live.converges(10s)) << joined(live.log()) << live.state().first;
  EXPECT_GE(live.resets(), 1) << joined(live.log());
  EXPECT_EQ(live.state().first, wanted);
}

TEST(IpamFeed, ARestartedRedisAnswersAResetThatConverges) { restart_resets("everysec", false); }

TEST(IpamFeed, AKilledRedisAnswersAResetThatConverges) { restart_resets("always", true); }

TEST(IpamFeed, AWipedRedisAnswersAResetThatConvergesToWhatIsRegisteredAgain) {
  RedisServer redis;
  IpamDaemon ipam(redis.url(), kNoExpiry);
  ASSERT_EQ(ipam.post("/hosts", host_body("host1", "10.0.1.11")).status, 200);
  ASSERT_EQ(ipam.post("/hosts", host_body("host2", "10.0.1.12")).status, 200);
  for (const char* name : {"ca", "cb", "cc"}) ASSERT_EQ(ipam.allocate(name, "host2").status, 200);
  Answer old = snapshot(ipam.port());
  ASSERT_EQ(old.status, 200) << describe(old);
  ASSERT_EQ(old.problem, "") << describe(old);
  ASSERT_EQ(old.view.endpoints.size(), 3u) << old.view;

  Follower live(ipam.port(), old.view, old.revision);
  std::this_thread::sleep_for(300ms);  // it waits in a long-poll now
  auto client = redis.client();
  ASSERT_EQ(client.get({"FLUSHALL"}), "OK");
  // What the agents register again afterwards: one host and one container.
  ASSERT_EQ(ipam.post("/hosts", host_body("host1", "10.0.1.11")).status, 200);
  auto x = ipam.allocate("cx", "host1");
  ASSERT_EQ(x.status, 200) << x.raw;

  View wanted;
  wanted.hosts = {{"host1", canonical(host_object("host1", "10.0.1.11"))}};
  wanted.endpoints = {{"cx", canonical(json::object{{"container_name", "cx"}, {"ip_address", ip_of(x)}, {"host_id", "host1"}})}};
  Answer truth = snapshot(ipam.port());
  ASSERT_EQ(truth.status, 200) << describe(truth);
  ASSERT_EQ(truth.problem, "") << describe(truth);
  EXPECT_EQ(truth.view, wanted) << "the IPAM's own view kept what the wiped Redis lost";

  Convergence watcher = converge(ipam.port(), old.view, old.revision);
  EXPECT_TRUE(watcher.saw_reset) << joined(watcher.log);
  EXPECT_TRUE(watcher.converged) << joined(watcher.log) << watcher.view;
  EXPECT_EQ(watcher.view, wanted);

  EXPECT_TRUE(live.converges(10s)) << joined(live.log()) << live.state().first;
  EXPECT_GE(live.resets(), 1) << joined(live.log());
  EXPECT_EQ(live.state().first, wanted);
}

// The hard case of a wipe: the new lifetime's revision has grown past the watcher's old one, so
// the old `since` looks like a revision of this lifetime. Answering it with the new lifetime's
// changes after it would leave the watcher with the wiped hosts and endpoints for good.
TEST(IpamFeed, AWipedRedisStillResetsWhenItsRevisionHasPassedTheOldOne) {
  RedisServer redis;
  IpamDaemon ipam(redis.url(), kNoExpiry);
  ASSERT_EQ(ipam.post("/hosts", host_body("host1", "10.0.1.11")).status, 200);
  ASSERT_EQ(ipam.post("/hosts", host_body("host2", "10.0.1.12")).status, 200);
  for (const char* name : {"ca", "cb", "cc"}) ASSERT_EQ(ipam.allocate(name, "host2").status, 200);
  Answer old = snapshot(ipam.port());
  ASSERT_EQ(old.status, 200) << describe(old);
  ASSERT_EQ(old.problem, "") << describe(old);

  auto client = redis.client();
  ASSERT_EQ(client.get({"FLUSHALL"}), "OK");
  ASSERT_EQ(ipam.post("/hosts", host_body("host1", "10.0.1.11")).status, 200);
  View wanted;
  wanted.hosts = {{"host1", canonical(host_object("host1", "10.0.1.11"))}};
  int64_t revision = -1;
  for (int i = 0; i < 200 && revision <= old.revision + 3; ++i) {
    std::string name = "x" + std::to_string(i);
    auto x = ipam.allocate(name, "host1");
    ASSERT_EQ(x.status, 200) << x.raw;
    wanted.endpoints[name] = canonical(json::object{{"container_name", name}, {"ip_address", ip_of(x)}, {"host_id", "host1"}});
    Answer now = snapshot(ipam.port());
    ASSERT_EQ(now.status, 200) << describe(now);
    ASSERT_EQ(now.problem, "") << describe(now);
    revision = now.revision;
  }
  ASSERT_GT(revision, old.revision + 3);
  Answer truth = snapshot(ipam.port());
  ASSERT_EQ(truth.status, 200) << describe(truth);
  ASSERT_EQ(truth.problem, "") << describe(truth);
  EXPECT_EQ(truth.view, wanted);

  Convergence watcher = converge(ipam.port(), old.view, old.revision, 5s);
  EXPECT_TRUE(watcher.saw_reset) << joined(watcher.log);
  EXPECT_TRUE(watcher.converged) << joined(watcher.log) << watcher.view;
  EXPECT_EQ(watcher.view, wanted);
}

// What Redis holds, read straight from the registry's keys (README), as a View: the truth the
// IPAM's snapshot must show. Hosts are alive (the tests that use it never let one expire).
View view_in_redis(RedisClient& redis) {
  View out;
  auto pairs = [&](const std::string& key) {
    std::map<std::string, std::string> map;
    auto flat = redis.list({"HGETALL", key});
    for (size_t i = 0; i + 1 < flat.size(); i += 2) map[flat[i]] = flat[i + 1];
    return map;
  };
  auto ips = pairs("container_ips"), hosts = pairs("container_hosts"), macs = pairs("vxlan:container_macs");
  for (const auto& [name, ip] : ips) {
    json::object endpoint{{"container_name", name}, {"ip_address", ip}, {"host_id", hosts[name]}};
    if (macs.count(name)) endpoint["mac_address"] = macs[name];
    out.endpoints[name] = canonical(endpoint);
  }
  auto agents = pairs("vxlan:host_agents");
  for (const auto& [id, underlay] : pairs("vxlan:host_underlay")) {
    out.hosts[id] = canonical(json::object{{"host_id", id}, {"underlay_ip", underlay}, {"agent_url", agents[id]},
                                           {"alive", true}});
  }
  return out;
}

// Redis comes back with less than it had (a restore from an older backup, a failover to a replica
// that lagged): the changes the watchers saw after that point are gone from Redis. The IPAM's view
// and every watcher must follow Redis back, not keep what it lost.
TEST(IpamFeed, ARedisRolledBackToAnOlderStateIsFollowedBack) {
  RedisServer redis;
  IpamDaemon first(redis.url(), kNoExpiry), second(redis.url(), kNoExpiry);
  ASSERT_EQ(first.post("/hosts", host_body("host1", "10.0.1.11")).status, 200);
  auto kept = first.allocate("kept", "host1");
  ASSERT_EQ(kept.status, 200);
  Answer start = snapshot(first.port());
  ASSERT_EQ(start.status, 200) << describe(start);
  ASSERT_EQ(start.problem, "") << describe(start);
  Follower on_first(first.port(), start.view, start.revision), on_second(second.port(), start.view, start.revision);

  auto dir_reply = redis.client().list({"CONFIG", "GET", "dir"});
  ASSERT_EQ(dir_reply.size(), 2u);
  const std::filesystem::path dir = dir_reply[1];
  TempDir backup;
  redis.stop();
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().filename().string().rfind("appendonly", 0) == 0) {
      std::filesystem::copy(entry.path(), backup.path() / entry.path().filename(),
                            std::filesystem::copy_options::recursive);
    }
  }
  redis.start();
  ASSERT_TRUE(wait_until([&] { return first.get("/health").status == 200 && second.get("/health").status == 200; }, 10s));
  // Changes the watchers see, and Redis will lose.
  ASSERT_EQ(first.post("/hosts", host_body("lost-host", "10.0.1.99")).status, 200);
  ASSERT_EQ(second.allocate("lost", "host1").status, 200);
  ASSERT_EQ(first.release("kept").status, 200);
  EXPECT_TRUE(on_first.converges(10s)) << joined(on_first.log());
  EXPECT_TRUE(on_second.converges(10s)) << joined(on_second.log());
  EXPECT_EQ(on_first.state().first.endpoints.count("lost"), 1u);

  redis.stop();
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().filename().string().rfind("appendonly", 0) == 0) std::filesystem::remove_all(entry.path());
  }
  for (const auto& entry : std::filesystem::directory_iterator(backup.path())) {
    std::filesystem::copy(entry.path(), dir / entry.path().filename(), std::filesystem::copy_options::recursive);
  }
  redis.start();
  auto client = redis.client();
  ASSERT_EQ(client.get({"HGET", "container_ips", "kept"}), ip_of(kept));  // the old state is back
  ASSERT_FALSE(client.get({"HGET", "container_ips", "lost"}));
  ASSERT_TRUE(wait_until([&] { return first.get("/health").status == 200 && second.get("/health").status == 200; }, 10s));
  auto after = second.allocate("after", "host1");
  ASSERT_EQ(after.status, 200) << after.raw;

  View truth = view_in_redis(client);
  EXPECT_EQ(truth.endpoints.count("lost"), 0u);
  EXPECT_EQ(truth.endpoints.count("kept"), 1u);
  EXPECT_EQ(truth.endpoints.count("after"), 1u);
  for (const IpamDaemon* ipam : {&first, &second}) {
    EXPECT_TRUE(wait_until([&] {
      Answer now = snapshot(ipam->port());
      return now.status == 200 && now.view == truth;
    }, 10s)) << "replica on port " << ipam->port() << " shows:\n" << snapshot(ipam->port()).view << "Redis holds:\n" << truth;
  }
  EXPECT_TRUE(on_first.converges(10s)) << joined(on_first.log()) << on_first.state().first;
  EXPECT_TRUE(on_second.converges(10s)) << joined(on_second.log()) << on_second.state().first;
  EXPECT_EQ(on_first.state().first, truth);
  EXPECT_EQ(on_second.state().first, truth);
  EXPECT_GE(on_first.resets(), 1);
  EXPECT_GE(on_second.resets(), 1);
}

// Redis comes back having lost its last writes (killed before they reached the disk, restored
// from a backup, failed over to a replica that lagged), and the agents write again at once. The
// revisions of the lost changes were handed out already: the feed must never give one of those
// numbers to another change, or a watcher that holds the lost change is told it is up to date
// (and one a little behind is given the new changes on top of a lost one).
TEST(IpamFeed, ARedisThatLostWritesNeverReusesTheirRevisions) {
  RedisServer redis("always");
  IpamDaemon ipam(redis.url(), kNoExpiry);
  ASSERT_EQ(ipam.post("/hosts", host_body("host1", "10.0.1.11")).status, 200);
  ASSERT_EQ(ipam.allocate("kept", "host1").status, 200);
  Answer base = snapshot(ipam.port());
  ASSERT_EQ(base.status, 200) << describe(base);
  ASSERT_EQ(base.problem, "") << describe(base);

  // The backup: Redis's files as they are now (appendfsync always: everything is on disk).
  auto dir_reply = redis.client().list({"CONFIG", "GET", "dir"});
  ASSERT_EQ(dir_reply.size(), 2u);
  const std::filesystem::path dir = dir_reply[1];
  TempDir backup;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().filename().string().rfind("appendonly", 0) == 0) {
      std::filesystem::copy(entry.path(), backup.path() / entry.path().filename(),
                            std::filesystem::copy_options::recursive);
    }
  }
  // Changes every watcher sees, that Redis then loses.
  for (const char* name : {"lost1", "lost2", "lost3"}) ASSERT_EQ(ipam.allocate(name, "host1").status, 200);
  Answer before = snapshot(ipam.port());
  ASSERT_EQ(before.status, 200) << describe(before);
  Collected lost = collect(ipam.port(), base.revision, before.revision);
  ASSERT_EQ(lost.problem, "");
  ASSERT_EQ(lost.changes.size(), 3u);
  std::map<int64_t, std::string> given;  // every revision handed out, and the change it named
  for (const auto& change : lost.changes) given[*integer_of(change, "revision")] = canonical(change);

  redis.kill9();
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().filename().string().rfind("appendonly", 0) == 0) std::filesystem::remove_all(entry.path());
  }
  for (const auto& entry : std::filesystem::directory_iterator(backup.path())) {
    std::filesystem::copy(entry.path(), dir / entry.path().filename(), std::filesystem::copy_options::recursive);
  }
  redis.start();
  auto client = redis.client();
  ASSERT_FALSE(client.get({"HGET", "container_ips", "lost1"}));  // Redis has lost them
  ASSERT_TRUE(wait_until([&] { return ipam.allocate("new1", "host1").status == 200; }, 10s));
  ASSERT_EQ(ipam.allocate("new2", "host1").status, 200);
  ASSERT_EQ(ipam.allocate("new3", "host1").status, 200);
  // A read after these writes sees them, and not what Redis lost.
  Answer right_after = snapshot(ipam.port());
  ASSERT_EQ(right_after.status, 200) << describe(right_after);
  EXPECT_EQ(right_after.view.endpoints.count("new3"), 1u) << "GET /peers right after allocating new3:\n" << right_after.view;
  EXPECT_EQ(right_after.view.endpoints.count("lost1"), 0u) << "GET /peers right after allocating new3:\n" << right_after.view;

  // Watchers at every revision of the lost changes ask now.
  std::vector<std::string> reused, told_up_to_date;
  for (int64_t since : {base.revision, *integer_of(lost.changes[0], "revision"), before.revision}) {
    Answer answer = poll(ipam.port(), since, 0);
    ASSERT_EQ(answer.status, 200) << describe(answer);
    ASSERT_EQ(answer.problem, "") << describe(answer);
    if (answer.reset) continue;
    if (answer.changes.empty() && since == before.revision) {
      told_up_to_date.push_back("since=" + std::to_string(since) + " (holding lost1..3): " + describe(answer));
    }
    for (const auto& change : answer.changes) {
      auto revision = *integer_of(change, "revision");
      if (given.count(revision) && given[revision] != canonical(change)) {
        reused.push_back("revision " + std::to_string(revision) + " was " + given[revision] + ", now " + canonical(change));
      }
    }
  }
  EXPECT_EQ(reused, std::vector<std::string>()) << "revisions of lost changes given to other changes";
  EXPECT_EQ(told_up_to_date, std::vector<std::string>()) << "a watcher holding lost changes was told it is up to date";

  // And in the end everyone follows Redis.
  View truth = view_in_redis(client);
  EXPECT_EQ(truth.endpoints.count("new3"), 1u);
  EXPECT_EQ(truth.endpoints.count("lost1"), 0u);
  Convergence watcher = converge(ipam.port(), before.view, before.revision);
  EXPECT_TRUE(watcher.converged) << joined(watcher.log) << watcher.view;
  EXPECT_EQ(watcher.view, truth);
  if (HasFailure()) std::cout << "vxlan-ipam:\n" << feed_log(ipam);
}

// After a Redis restart, two replicas count revisions alike again: watchers on each get the same
// changes with the same revisions.
TEST(IpamFeed, TwoReplicasAgreeAfterARedisRestart) {
  RedisServer redis;
  IpamDaemon first(redis.url(), kNoExpiry), second(redis.url(), kNoExpiry);
  ASSERT_EQ(first.post("/hosts", host_body("host1", "10.0.1.11")).status, 200);
  Answer old = snapshot(first.port());
  ASSERT_EQ(old.status, 200) << describe(old);
  ASSERT_EQ(old.problem, "") << describe(old);
  Follower on_first(first.port(), old.view, old.revision), on_second(second.port(), old.view, old.revision);
  redis.stop();
  redis.start();
  ASSERT_TRUE(wait_until([&] { return first.get("/health").status == 200 && second.get("/health").status == 200; }, 10s));
  Answer a = snapshot(first.port()), b = snapshot(second.port());
  ASSERT_EQ(a.status, 200) << describe(a);
  ASSERT_EQ(b.status, 200) << describe(b);
  Watcher w_first({first.port()}, a.revision), w_second({second.port()}, a.revision);
  // (An IPAM may hold writes back, or refuse them, until it has taken stock of the new Redis.)
  ASSERT_TRUE(wait_until([&] { return second.allocate("r0", "host1").status == 200; }, 5s));
  for (int i = 1; i < 10; ++i) {
    ASSERT_EQ((i % 2 ? first : second).allocate("r" + std::to_string(i), "host1").status, 200);
  }
  Answer end = snapshot(second.port());
  ASSERT_EQ(end.status, 200) << describe(end);
  Answer end_first = snapshot(first.port());
  EXPECT_EQ(end_first.revision, end.revision);
  EXPECT_EQ(end_first.view, end.view);
  w_first.finish_at(end.revision);
  w_second.finish_at(end.revision);
  ASSERT_TRUE(w_first.join(20s));
  ASSERT_TRUE(w_second.join(20s));
  EXPECT_EQ(w_first.problems(), std::vector<std::string>());
  EXPECT_EQ(w_second.problems(), std::vector<std::string>());
  EXPECT_EQ(with_revisions(w_first.changes()), with_revisions(w_second.changes()));
  EXPECT_EQ(w_first.changes().size(), 10u);
  EXPECT_TRUE(on_first.converges(10s)) << joined(on_first.log());
  EXPECT_TRUE(on_second.converges(10s)) << joined(on_second.log());
  EXPECT_EQ(on_first.state(), on_second.state());
  if (HasFailure()) {
    std::cout << "first replica (port " << first.port() << "):\n" << feed_log(first) << "second replica (port "
              << second.port() << "):\n" << feed_log(second);
  }
}

// ---------------------------------------------------------------------------------------------
// 7. A since from the future

TEST(IpamFeed, ASinceNewerThanTheRevisionAnswersAReset) {
  RedisServer redis;
  IpamDaemon ipam(redis.url(), kNoExpiry);
  ASSERT_EQ(ipam.post("/hosts", host_body("host1", "10.0.1.11")).status, 200);
  ASSERT_EQ(ipam.allocate("web", "host1").status, 200);
  Answer now = snapshot(ipam.port());
  ASSERT_EQ(now.status, 200) << describe(now);
  ASSERT_EQ(now.problem, "") << describe(now);

  for (int wait_ms : {0, 5000}) {
    Answer answer = poll(ipam.port(), now.revision + 1000, wait_ms);
    ASSERT_EQ(answer.status, 200) << describe(answer);
    EXPECT_EQ(answer.problem, "") << describe(answer);
    EXPECT_TRUE(answer.reset) << describe(answer);
    EXPECT_FALSE(answer.body.contains("changes")) << describe(answer);
    EXPECT_EQ(answer.revision, now.revision) << describe(answer);
    EXPECT_EQ(answer.view, now.view) << describe(answer);
    EXPECT_LT(answer.took, 2s) << "a reset waited for wait_ms=" << wait_ms;
  }
  // since=R+1 is one too far as well.
  Answer next = poll(ipam.port(), now.revision + 1, 0);
  EXPECT_TRUE(next.reset) << describe(next);
}

// ---------------------------------------------------------------------------------------------
// 8. Watchers that vanish mid-poll

TEST(IpamFeed, VanishedWatchersCostNothing) {
  RedisServer redis;
  IpamDaemon ipam(redis.url(), {"--host-ttl-ms", "600000", "--threads", "1"});
  ASSERT_EQ(ipam.post("/hosts", host_body("host1", "10.0.1.11")).status, 200);
  Answer start = snapshot(ipam.port());
  ASSERT_EQ(start.status, 200) << describe(start);
  ASSERT_EQ(start.problem, "") << describe(start);
  size_t fds_before = open_fds(ipam.process().pid());

  std::vector<int> sockets;
  for (int i = 0; i < 200; ++i) {
    int fd = connect_raw(ipam.port());
    ASSERT_GE(fd, 0) << "connection " << i;
    ASSERT_TRUE(send_all(fd, get_request("/peers?since=" + std::to_string(start.revision) + "&wait_ms=30000")));
    sockets.push_back(fd);
  }
  std::this_thread::sleep_for(500ms);  // they are all waiting now
  int answered_early = 0;
  for (int fd : sockets) answered_early += readable(fd, 0ms);
  EXPECT_EQ(answered_early, 0) << "long-polls with nothing new answered before their wait";
  size_t fds_polling = open_fds(ipam.process().pid());
  for (int fd : sockets) close_abruptly(fd);

  // A change now wakes 200 polls whose watchers are gone.
  for (int i = 0; i < 50; ++i) {
    auto started = Clock::now();
    auto allocated = ipam.allocate("c" + std::to_string(i), "host1");
    auto took = since_ms(started);
    ASSERT_EQ(allocated.status, 200) << "allocation " << i << ": " << allocated.raw;
    EXPECT_LT(took, 1s) << "allocation " << i;
  }
  ASSERT_TRUE(ipam.process().running());
  auto health = ipam.get("/health");
  EXPECT_EQ(health.status, 200) << health.raw;
  // And the feed still works for a watcher that stayed.
  Collected feed = collect(ipam.port(), start.revision, snapshot(ipam.port()).revision);
  EXPECT_EQ(feed.problem, "");
  EXPECT_EQ(feed.changes.size(), 50u);
  bool released = wait_until([&] { return open_fds(ipam.process().pid()) < fds_before + 20; }, 5s);
  std::cout << "vxlan-ipam open files: " << fds_before << " before, " << fds_polling << " with 200 polls, "
            << open_fds(ipam.process().pid()) << " after they vanished"
            << (released ? "" : " (not released within 5 s of the change that woke them)") << "\n";
  EXPECT_TRUE(released) << "the connections of vanished watchers were not closed after the change woke them";
}

// SIGTERM finishes the requests in flight: a long-poll is answered (nothing new) and the IPAM
// exits, without waiting out the poll.
TEST(IpamFeed, ShutdownDoesNotWaitOutALongPoll) {
  RedisServer redis;
  IpamDaemon ipam(redis.url(), kNoExpiry);
  Answer start = snapshot(ipam.port());
  ASSERT_EQ(start.status, 200) << describe(start);
  ASSERT_EQ(start.problem, "") << describe(start);
  auto pending = std::async(std::launch::async, [&] { return poll(ipam.port(), start.revision, 30000); });
  ASSERT_EQ(pending.wait_for(500ms), std::future_status::timeout);
  auto stopping = Clock::now();
  int status = ipam.process().stop(std::chrono::seconds(15));
  auto took = since_ms(stopping);
  EXPECT_LT(took, 5s) << "SIGTERM took " << took.count() << " ms with a long-poll of 30 s pending";
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "exit status " << status;
  ASSERT_EQ(pending.wait_for(10s), std::future_status::ready);
  Answer answer = pending.get();
  EXPECT_EQ(answer.status, 200) << "the long-poll in flight was not answered: " << describe(answer);
  EXPECT_TRUE(answer.changes.empty()) << describe(answer);
  EXPECT_LT(answer.took, 5s) << describe(answer);
  if (HasFailure()) {
    std::istringstream log(ipam.process().log());
    for (std::string line; std::getline(log, line);) {
      if (line.find("shutting down") != std::string::npos || line.find("grace") != std::string::npos ||
          line.find("stopped") != std::string::npos) {
        std::cout << "    " << line << "\n";
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// 9. The connection limit

TEST(IpamFeed, ConnectionsPastTheLimitGet503) {
  RedisServer redis;
  IpamDaemon ipam(redis.url(), {"--host-ttl-ms", "600000", "--max-connections", "50"});
  ASSERT_EQ(ipam.allocate("before", "host1").status, 200);
  std::this_thread::sleep_for(200ms);  // the IPAM has closed our earlier connections

  std::vector<int> sockets;
  for (int i = 0; i < 60; ++i) {
    int fd = connect_raw(ipam.port());
    ASSERT_GE(fd, 0) << "connection " << i;  // the kernel accepts: the IPAM answers
    sockets.push_back(fd);
  }
  std::this_thread::sleep_for(300ms);
  int ok = 0, rejected = 0;
  std::vector<std::string> other;
  for (size_t i = 0; i < sockets.size(); ++i) {
    int fd = sockets[i];
    RawResponse response;
    if (readable(fd, 0ms)) {
      response = read_response(fd, 3s);  // answered before asking
    } else {
      send_all(fd, get_request("/health"));
      response = read_response(fd, 3s);
    }
    if (response.status == 200) {
      ++ok;
    } else if (response.status == 503 && response.body.find("\"too_many_connections\"") != std::string::npos) {
      ++rejected;
      // ... and closed.
      char byte;
      if (!readable(fd, 2s) || recv(fd, &byte, 1, 0) > 0) {
        other.push_back("connection " + std::to_string(i) + " was answered 503 but not closed");
      }
    } else {
      other.push_back("connection " + std::to_string(i) + ": " + std::to_string(response.status) + " " +
                      response.raw.substr(0, 300));
    }
  }
  EXPECT_EQ(other, std::vector<std::string>());
  EXPECT_LE(ok, 50);
  EXPECT_GE(ok, 45) << "connections under the limit were refused";
  EXPECT_GE(rejected, 10);
  if (ok == 50) {
    auto extra = ipam.allocate("while-full", "host1");
    EXPECT_EQ(extra.status, 503) << extra.raw;
    EXPECT_NE(extra.raw.find("too_many_connections"), std::string::npos) << extra.raw;
  }
  ASSERT_TRUE(ipam.process().running());
  for (int fd : sockets) close(fd);

  JsonResponse after;
  EXPECT_TRUE(wait_until([&] { return (after = ipam.allocate("after", "host1")).status == 200; }, 5s))
      << after.status << " " << after.raw;
  EXPECT_EQ(ipam.get("/health").status, 200);
  EXPECT_EQ(text(ipam.get("/check/while-full").body.at("exists")), "false");
}

// The IPAM raises its own open-file limit at start (to serve its connections, not die at 1024).
TEST(IpamFeed, RaisesItsOpenFileLimit) {
  rlimit mine{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &mine), 0);
  if (mine.rlim_max <= 1024) GTEST_SKIP() << "the hard limit is " << mine.rlim_max << ": nothing to raise to";
  RedisServer redis;
  rlimit low = mine;
  low.rlim_cur = 1024;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  std::unique_ptr<IpamDaemon> ipam;
  try {
    ipam = std::make_unique<IpamDaemon>(redis.url(), kNoExpiry);
  } catch (...) {
    setrlimit(RLIMIT_NOFILE, &mine);
    throw;
  }
  setrlimit(RLIMIT_NOFILE, &mine);
  std::ifstream limits("/proc/" + std::to_string(ipam->process().pid()) + "/limits");
  std::string line;
  unsigned long long soft = 0;
  while (std::getline(limits, line)) {
    if (line.rfind("Max open files", 0) == 0) soft = std::stoull(line.substr(26));
  }
  EXPECT_GE(soft, std::min<unsigned long long>(mine.rlim_max, 10000)) << "the IPAM's soft limit is " << soft;
}

// ---------------------------------------------------------------------------------------------
// 10. Liveness as a change

TEST(IpamFeed, AHostThatFallsSilentIsAChangeAndSoIsItsReturn) {
  RedisServer redis;
  IpamDaemon ipam(redis.url(), {"--host-ttl-ms", "600"});
  std::atomic<bool> beating{true};
  ASSERT_EQ(ipam.post("/hosts", host_body("steady", "10.0.1.10")).status, 200);
  std::thread heart([&] {
    while (beating) {
      http_json(ipam.port(), "POST", "/hosts/steady/heartbeat");
      std::this_thread::sleep_for(100ms);
    }
  });
  struct Join {
    std::atomic<bool>& flag;
    std::thread& thread;
    ~Join() {
      flag = false;
      thread.join();
    }
  } join{beating, heart};

  Answer start = snapshot(ipam.port());
  ASSERT_EQ(start.status, 200) << describe(start);
  ASSERT_EQ(start.problem, "") << describe(start);
  auto registered = Clock::now();
  ASSERT_EQ(ipam.post("/hosts", host_body("host1", "10.0.1.11")).status, 200);
  int64_t revision = start.revision;
  std::vector<json::object> changes;
  std::optional<milliseconds> dead_after;
  while (!dead_after && since_ms(registered) < 4s) {
    Answer answer = poll(ipam.port(), revision, 1000);
    ASSERT_EQ(answer.status, 200) << describe(answer);
    ASSERT_EQ(answer.problem, "") << describe(answer);
    ASSERT_FALSE(answer.reset) << describe(answer);
    for (const auto& change : answer.changes) {
      changes.push_back(change);
      if (string_of(change, "host_id") == "host1" && change.contains("alive") && change.at("alive") == false) {
        dead_after = since_ms(registered);
      }
    }
    revision = answer.revision;
  }
  ASSERT_TRUE(dead_after) << "no alive:false change within 4 s of a 600 ms TTL; changes: "
                          << joined(with_revisions(changes));
  EXPECT_GE(*dead_after, 550ms);
  EXPECT_LE(*dead_after, 1600ms + 400ms);
  EXPECT_EQ(without_revisions(changes),
            (std::vector<std::string>{canonical(put_host("host1", "10.0.1.11")),
                                      canonical(put_host("host1", "10.0.1.11", false))}));
  Answer dead = snapshot(ipam.port());
  ASSERT_EQ(dead.status, 200) << describe(dead);
  ASSERT_EQ(dead.problem, "") << describe(dead);
  EXPECT_EQ(dead.view.hosts["host1"], canonical(host_object("host1", "10.0.1.11", false)));
  EXPECT_EQ(dead.view.hosts["steady"], canonical(host_object("steady", "10.0.1.10", true)));

  // Nothing more: it is marked dead once, and the steady host never flaps.
  Answer quiet = poll(ipam.port(), revision, 1500);
  ASSERT_EQ(quiet.status, 200) << describe(quiet);
  ASSERT_EQ(quiet.problem, "") << describe(quiet);
  EXPECT_TRUE(quiet.changes.empty()) << describe(quiet);

  // A heartbeat brings it back, as a change.
  auto pending = std::async(std::launch::async, [&] { return poll(ipam.port(), revision, 5000); });
  std::this_thread::sleep_for(200ms);
  auto beat_at = Clock::now();
  ASSERT_EQ(ipam.post("/hosts/host1/heartbeat", "").status, 200);
  ASSERT_EQ(pending.wait_for(6s), std::future_status::ready);
  Answer back = pending.get();
  ASSERT_EQ(back.status, 200) << describe(back);
  ASSERT_EQ(back.problem, "") << describe(back);
  EXPECT_LT(since_ms(beat_at), 1500ms);
  EXPECT_EQ(without_revisions(back.changes),
            std::vector<std::string>{canonical(put_host("host1", "10.0.1.11", true))}) << describe(back);
  // A second heartbeat right after is no change.
  ASSERT_EQ(ipam.post("/hosts/host1/heartbeat", "").status, 200);
  Answer after = poll(ipam.port(), back.revision, 300);
  ASSERT_EQ(after.status, 200) << describe(after);
  ASSERT_EQ(after.problem, "") << describe(after);
  EXPECT_TRUE(after.changes.empty()) << describe(after);
}

// Every replica sweeps; a silent host is still marked dead once, not once per replica.
TEST(IpamFeed, TwoSweepersMarkASilentHostDeadOnce) {
  RedisServer redis;
  IpamDaemon first(redis.url(), {"--host-ttl-ms", "600"}), second(redis.url(), {"--host-ttl-ms", "600"});
  Answer start = snapshot(first.port());
  ASSERT_EQ(start.status, 200) << describe(start);
  ASSERT_EQ(start.problem, "") << describe(start);
  ASSERT_EQ(first.post("/hosts", host_body("host1", "10.0.1.11")).status, 200);
  ASSERT_EQ(second.post("/hosts", host_body("host2", "10.0.1.12")).status, 200);
  std::this_thread::sleep_for(3s);  // both dead for a while: every sweeper has seen them
  Answer end = snapshot(second.port());
  ASSERT_EQ(end.status, 200) << describe(end);
  ASSERT_EQ(end.problem, "") << describe(end);
  Collected feed = collect(first.port(), start.revision, end.revision);
  ASSERT_EQ(feed.problem, "");
  std::vector<std::string> got = without_revisions(feed.changes);
  std::multiset<std::string> set(got.begin(), got.end());
  EXPECT_EQ(set, (std::multiset<std::string>{canonical(put_host("host1", "10.0.1.11")),
                                             canonical(put_host("host2", "10.0.1.12")),
                                             canonical(put_host("host1", "10.0.1.11", false)),
                                             canonical(put_host("host2", "10.0.1.12", false))}))
      << joined(with_revisions(feed.changes));
}

// ---------------------------------------------------------------------------------------------
// Beyond the list: pages of at most 10,000 changes, and /containers?host_id=

TEST(IpamFeed, ManyChangesComeInPagesOfAtMostTenThousand) {
  RedisServer redis;
  IpamDaemon ipam(redis.url(), kNoExpiry);
  Answer start = snapshot(ipam.port());
  ASSERT_EQ(start.status, 200) << describe(start);
  ASSERT_EQ(start.problem, "") << describe(start);
  constexpr int kClients = 4, kEach = 2520;  // 10,080 changes
  std::atomic<int> failed{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      for (int i = 0; i < kEach; ++i) {
        if (ipam.allocate("p" + std::to_string(c) + "-" + std::to_string(i), "host1").status != 200) ++failed;
      }
    });
  }
  for (auto& client : clients) client.join();
  ASSERT_EQ(failed, 0);
  Answer end = snapshot(ipam.port());
  ASSERT_EQ(end.status, 200) << describe(end);
  ASSERT_EQ(end.problem, "") << describe(end);
  ASSERT_EQ(end.view.endpoints.size(), static_cast<size_t>(kClients * kEach));

  Answer first_page = poll(ipam.port(), start.revision, 0);
  ASSERT_EQ(first_page.status, 200) << describe(first_page).substr(0, 500);
  ASSERT_EQ(first_page.problem, "");
  ASSERT_FALSE(first_page.reset);
  EXPECT_LE(first_page.changes.size(), 10000u);
  EXPECT_GT(first_page.changes.size(), 0u);
  EXPECT_LT(first_page.revision, end.revision);
  Collected feed = collect(ipam.port(), start.revision, end.revision, 30s);
  ASSERT_EQ(feed.problem, "");
  EXPECT_GE(feed.answers, 2);
  EXPECT_EQ(feed.changes.size(), static_cast<size_t>(kClients * kEach));
  View replayed = start.view;
  for (const auto& change : feed.changes) EXPECT_EQ(apply(replayed, change), "");
  EXPECT_EQ(replayed, end.view);
}

TEST(IpamFeed, ContainersCanBeListedByHost) {
  RedisServer redis;
  IpamDaemon ipam(redis.url(), kNoExpiry);
  for (auto [name, host] : std::vector<std::pair<std::string, std::string>>{{"ca", "h1"}, {"cb", "h1"}, {"cc", "h2"}}) {
    ASSERT_EQ(ipam.allocate(name, host).status, 200);
  }
  auto names = [&](const std::string& target) {
    std::set<std::string> out;
    auto response = ipam.get(target);
    EXPECT_EQ(response.status, 200) << target << ": " << response.raw;
    if (!response.body.is_array()) return out;
    for (const auto& entry : response.body.as_array()) out.insert(text(entry.at("container_name")));
    return out;
  };
  EXPECT_EQ(names("/containers?host_id=h1"), (std::set<std::string>{"ca", "cb"}));
  EXPECT_EQ(names("/containers?host_id=h2"), (std::set<std::string>{"cc"}));
  EXPECT_EQ(names("/containers?host_id=h3"), (std::set<std::string>{}));
  EXPECT_EQ(names("/containers"), (std::set<std::string>{"ca", "cb", "cc"}));
}

}  // namespace
}  // namespace vx::test
