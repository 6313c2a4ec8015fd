// dns_bench [SECONDS] [IN_FLIGHT]: queries per second and latency of the agent's name server over
// loopback, for cluster names answered from a lookup over 60,000 names, against a baseline
// measured in the same run: a bare UDP echo served by the same kind of loop (one thread, Asio
// coroutines), which is the least any UDP server here can cost. The server and the echo run on
// one thread, the clients on another, IN_FLIGHT queries outstanding at a time (16). Not a test:
// these machines are noisy, so read the ratio.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>

#include "agent/dns/ldns_handles.h"
#include "agent/dns/message.h"
#include "agent/dns/server.h"
#include "common/no_throw.h"

namespace {

namespace asio = boost::asio;
namespace dns = vx::agent::dns;
using vx::kNoThrow;
using namespace asio::experimental::awaitable_operators;
using asio::ip::udp;
using Clock = std::chrono::steady_clock;
using Bytes = std::vector<uint8_t>;

constexpr int kNames = 60000;
constexpr auto kReplyTimeout = std::chrono::seconds(1);
const auto kLoopback = asio::ip::make_address_v4("127.0.0.1");

struct NameHash {
  using is_transparent = void;
  size_t operator()(std::string_view name) const { return std::hash<std::string_view>{}(name); }
};

// The cluster as the agent will hold it: names to addresses, in one network.
class Cluster {
 public:
  Cluster() {
    for (int i = 0; i < kNames; ++i) names_.emplace(name(i), vx::Ipv4(0xac140000u + 2 + static_cast<uint32_t>(i)));
  }
  static std::string name(int i) { return "c" + std::to_string(100000 + i); }

  dns::NameAnswer operator()(std::string_view network, std::string_view name) const {
    auto found = names_.find(name);
    if (found == names_.end()) return {};
    if (network != "bench") return {dns::NameAnswer::Kind::kOtherNetwork, {}};
    return {dns::NameAnswer::Kind::kAddress, found->second};
  }

 private:
  std::unordered_map<std::string, vx::Ipv4, NameHash, std::equal_to<>> names_;
};

Bytes query_for(const std::string& name, uint16_t id) {
  ldns_pkt* raw = nullptr;
  if (ldns_pkt_query_new_frm_str(&raw, name.c_str(), LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, LDNS_RD) != LDNS_STATUS_OK) {
    return {};
  }
  dns::PacketPtr packet(raw);
  ldns_pkt_set_id(raw, id);
  return dns::to_wire(*packet);
}

asio::awaitable<void> echo(udp::socket& socket) {
  Bytes buffer(65535);
  udp::endpoint from;
  for (;;) {
    auto [ec, length] = co_await socket.async_receive_from(asio::buffer(buffer), from, kNoThrow);
    if (ec == asio::error::operation_aborted) co_return;
    if (!ec) co_await socket.async_send_to(asio::buffer(buffer.data(), length), from, kNoThrow);
  }
}

struct Tally {
  std::vector<double> latencies_us;
  uint64_t lost = 0;
  uint64_t wrong = 0;
};

// One client: a query, its reply, the next, until `until`.
asio::awaitable<void> client(udp::endpoint to, const std::vector<Bytes>& queries, Clock::time_point until,
                             unsigned seed, Tally& tally) {
  auto executor = co_await asio::this_coro::executor;
  udp::socket socket(executor, udp::endpoint(udp::v4(), 0));
  asio::steady_timer deadline(executor);
  std::mt19937 random(seed);
  Bytes reply(65535);
  while (Clock::now() < until) {
    const Bytes& query = queries[random() % queries.size()];
    Clock::time_point sent = Clock::now();
    co_await socket.async_send_to(asio::buffer(query), to, kNoThrow);
    deadline.expires_after(kReplyTimeout);
    auto first = co_await (socket.async_receive(asio::buffer(reply), kNoThrow) || deadline.async_wait(kNoThrow));
    if (first.index() != 0 || std::get<0>(std::get<0>(first))) {
      ++tally.lost;
      continue;
    }
    size_t length = std::get<1>(std::get<0>(first));
    if (length < dns::kHeaderSize || dns::message_id(std::span(reply.data(), length)) != dns::message_id(query)) {
      ++tally.wrong;
    }
    tally.latencies_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - sent).count());
  }
}

struct Result {
  double qps = 0, p50_us = 0, p99_us = 0;
  uint64_t lost = 0, wrong = 0;
};

Result measure(udp::endpoint to, const std::vector<Bytes>& queries, double seconds, int in_flight) {
  asio::io_context io;
  Tally tally;
  Clock::time_point start = Clock::now();
  Clock::time_point until = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  for (int i = 0; i < in_flight; ++i) {
    asio::co_spawn(io, client(to, queries, until, static_cast<unsigned>(i + 1), tally), asio::detached);
  }
  io.run();
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  Result result;
  std::vector<double>& all = tally.latencies_us;
  std::sort(all.begin(), all.end());
  result.qps = static_cast<double>(all.size()) / elapsed;
  if (!all.empty()) {
    result.p50_us = all[all.size() / 2];
    result.p99_us = all[std::min(all.size() - 1, all.size() * 99 / 100)];
  }
  result.lost = tally.lost;
  result.wrong = tally.wrong;
  return result;
}

void print(const char* what, const Result& result) {
  std::printf("%-34s %9.0f queries/s   p50 %7.1f us   p99 %7.1f us   lost %llu   wrong %llu\n", what, result.qps,
              result.p50_us, result.p99_us, static_cast<unsigned long long>(result.lost),
              static_cast<unsigned long long>(result.wrong));
}

// One query read back with ldns, so that the numbers are of right answers.
bool answers_right(udp::endpoint to, const Bytes& query) {
  asio::io_context io;
  udp::socket socket(io, udp::endpoint(udp::v4(), 0));
  socket.send_to(asio::buffer(query), to);
  Bytes reply(65535);
  size_t length = socket.receive(asio::buffer(reply));
  dns::PacketPtr packet = dns::parse_packet(std::span(reply.data(), length));
  return packet && ldns_pkt_get_rcode(packet.get()) == LDNS_RCODE_NOERROR && ldns_pkt_ancount(packet.get()) == 1;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = argc > 1 ? std::stod(argv[1]) : 3.0;
  int in_flight = argc > 2 ? std::stoi(argv[2]) : 16;
  spdlog::set_level(spdlog::level::warn);

  Cluster cluster;
  asio::io_context server_io;
  dns::Options options;
  options.port = 0;
  dns::Server server(server_io.get_executor(), std::cref(cluster), {}, options);
  if (auto listening = server.listen("bench", vx::Ipv4(kLoopback.to_uint()), ""); !listening) {
    std::fprintf(stderr, "dns_bench: %s\n", listening.error().detail.c_str());
    return 1;
  }
  udp::socket echo_socket(server_io, udp::endpoint(kLoopback, 0));
  asio::co_spawn(server_io, echo(echo_socket), asio::detached);
  std::thread server_thread([&] { server_io.run(); });

  std::vector<Bytes> names;
  for (int i = 0; i < kNames; ++i) names.push_back(query_for(Cluster::name(i), static_cast<uint16_t>(i)));
  udp::endpoint dns_endpoint(kLoopback, *server.port("bench"));
  bool right = answers_right(dns_endpoint, names[kNames / 2]);

  std::printf("dns_bench: %d cluster names, %d queries in flight, %.0f s each, over loopback\n", kNames, in_flight,
              seconds);
  Result baseline = measure(echo_socket.local_endpoint(), names, seconds, in_flight);
  print("baseline: bare UDP echo", baseline);
  Result cluster_names = measure(dns_endpoint, names, seconds, in_flight);
  print("cluster names (A from the lookup)", cluster_names);
  std::printf("cluster names at %.0f%% of the echo's rate, p99 %.1fx the echo's; answers checked: %s\n",
              100 * cluster_names.qps / baseline.qps, cluster_names.p99_us / baseline.p99_us, right ? "right" : "WRONG");

  asio::post(server_io, [&] {
    server.stop();
    echo_socket.close();
  });
  server_thread.join();
  return right && cluster_names.wrong == 0 ? 0 : 1;
}
