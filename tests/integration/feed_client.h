// A client of vxlan-ipam's change feed for the IpamFeed tests: GET /peers (the snapshot) and
// GET /peers?since=R&wait_ms=T (a long-poll), each answer parsed and its shape checked against
// the spec, and a watcher's view of hosts and endpoints kept as canonical JSON so that views
// compare as sets.
#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "support/ipam_daemon.h"

namespace vx::test {

namespace json = boost::json;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// A TTL no test outlives: hosts stay alive without heartbeats, so no sweeper change interleaves.
extern const std::vector<std::string> kNoExpiry;

milliseconds since_ms(Clock::time_point start);

// ---------------------------------------------------------------------------------------------
// JSON

// Objects with their keys sorted, all the way down (optionally without the "revision" key).
std::string canonical(const json::value& value);
std::string canonical(const json::object& object, bool with_revision = true);

std::optional<int64_t> integer_of(const json::object& object, std::string_view key);
std::string string_of(const json::object& object, std::string_view key);
// The "ip_address" of an allocation's answer, or "".
std::string ip_of(const JsonResponse& response);

// A host as GET /peers lists it, and the body that registers one.
json::object host_object(const std::string& id, const std::string& underlay, bool alive = true);
std::string host_body(const std::string& id, const std::string& underlay);
// An endpoint as GET /peers lists it (without a MAC), canonical.
std::string endpoint_entry(const std::string& name, const std::string& ip, const std::string& host);

// What a change must look like, without its revision.
json::object put_host(const std::string& id, const std::string& underlay, bool alive = true);
json::object delete_host(const std::string& id);
json::object put_endpoint(const std::string& name, const std::string& ip, const std::string& host,
                          const std::string& mac = "");
json::object delete_endpoint(const std::string& name, const std::string& ip, const std::string& host);

// The problem with a change's shape, in words, or "" when it is what the spec says.
std::string shape_problem(const json::object& change);

std::vector<std::string> without_revisions(const std::vector<json::object>& changes);
std::vector<std::string> with_revisions(const std::vector<json::object>& changes);

// Lines indented, each cut at 500 characters: for a failure's message.
std::string joined(const std::vector<std::string>& lines);

// ---------------------------------------------------------------------------------------------
// A watcher's view

// Hosts by id and endpoints by name, each as its canonical JSON: compared as sets.
struct View {
  std::map<std::string, std::string> hosts, endpoints;
  bool operator==(const View&) const = default;
};

std::ostream& operator<<(std::ostream& out, const View& view);

// Applies one change; returns what was wrong with it, or "".
std::string apply(View& view, const json::object& change);
// `view` with `changes` applied; every change must apply cleanly (a failure of the test if not).
View replayed(View view, const std::vector<json::object>& changes);

// ---------------------------------------------------------------------------------------------
// Answers

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

std::string describe(const Answer& answer);
// Passes for a 200 whose shape is right; else fails with the answer described.
::testing::AssertionResult ok(const Answer& answer);

// One request with a deadline of our own (http_json's is 5 s; long-polls need more).
JsonResponse http_long(uint16_t port, const std::string& method, const std::string& target,
                       milliseconds timeout, const std::string& body = "");

// GET /peers: the snapshot, with its revision.
Answer snapshot(uint16_t port);

// GET /peers?since=R&wait_ms=T, with an HTTP deadline of T + 5 s.
Answer poll(uint16_t port, int64_t since, int wait_ms);

// Every change from `since` until the feed's revision reaches `until`, by polls of 1 s.
struct Collected {
  std::vector<json::object> changes;
  int64_t revision = -1;
  int answers = 0;
  std::string problem;
};

Collected collect(uint16_t port, int64_t since, int64_t until, milliseconds deadline = 10s);

// Hosts to register, as (host_id, underlay_ip).
using Hosts = std::vector<std::pair<std::string, std::string>>;
extern const Hosts kHost1;     // host1 at 10.0.1.11
extern const Hosts kTwoHosts;  // and host2 at 10.0.1.12

// Registers `hosts` and allocates `names` on host `on`, through `ipam`, each with a 200; `after`
// is the snapshot then, which must be ok() too.
::testing::AssertionResult populate(const IpamDaemon& ipam, const Hosts& hosts, const std::vector<std::string>& names,
                                    const std::string& on, Answer& after);

// Waits until every one of `ipams` answers /health with 200.
bool healthy(std::initializer_list<const IpamDaemon*> ipams, milliseconds timeout);

}  // namespace vx::test
