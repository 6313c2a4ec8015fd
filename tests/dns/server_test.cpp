// The server on real sockets over loopback, with fake upstream resolvers the test runs itself on
// the same io_context: cluster names answered, another network's NXDOMAIN, NODATA for AAAA, other
// names forwarded unchanged (but for the id) and relayed with the client's id, SERVFAIL when the
// upstreams are closed, silent or failing, failover between them, TCP, listen/forget, bind errors,
// and garbage that leaves the server answering.
#include "agent/dns/server.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <map>
#include <random>

#include "dns_messages.h"
#include "common/no_throw.h"

namespace vx::agent::dns {
namespace {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;
using namespace std::chrono_literals;
using asio::ip::tcp;
using asio::ip::udp;
using testing::query_for;
using testing::read_reply;
using testing::Reply;
using Bytes = std::vector<uint8_t>;

using testing::kWeb;  // "web" in blue
constexpr Ipv4 kDb{0xac140106};         // 172.20.1.6, "db" in green
constexpr Ipv4 kOutside{0x5db8d822};    // what the fake upstreams answer
const auto kBlueAddress = asio::ip::make_address_v4("127.0.0.1");
const auto kGreenAddress = asio::ip::make_address_v4("127.0.0.2");

// SO_BINDTODEVICE needs CAP_NET_RAW: bound to lo when the test may, unbound otherwise.
std::string loopback_device() { return geteuid() == 0 ? "lo" : ""; }

NameAnswer cluster(std::string_view network, std::string_view name) {
  static const std::map<std::string, std::pair<std::string, Ipv4>, std::less<>> kNames{
      {"web", {"blue", kWeb}}, {"db", {"green", kDb}}};
  auto found = kNames.find(name);
  if (found == kNames.end()) return {};
  if (found->second.first != network) return {NameAnswer::Kind::kOtherNetwork, {}};
  return {NameAnswer::Kind::kAddress, found->second.second};
}

// Runs `task` on `io` until it is done.
template <typename T>
T run(asio::io_context& io, asio::awaitable<T> task) {
  std::optional<T> result;
  std::exception_ptr failure;
  asio::co_spawn(io, std::move(task), [&](std::exception_ptr e, T value) {
    failure = e;
    if (!e) result = std::move(value);
  });
  auto give_up = std::chrono::steady_clock::now() + 20s;
  while (!result && !failure && std::chrono::steady_clock::now() < give_up) {
    if (io.stopped()) io.restart();
    io.run_one_for(50ms);
  }
  if (failure) std::rethrow_exception(failure);
  if (!result) throw std::runtime_error("the test's task did not end");
  return std::move(*result);
}

// Lets `io` run for `duration`.
void pause(asio::io_context& io, std::chrono::milliseconds duration) {
  run(io, [duration]() -> asio::awaitable<bool> {
    asio::steady_timer timer(co_await asio::this_coro::executor, duration);
    co_await timer.async_wait(kNoThrow);
    co_return true;
  }());
}

asio::awaitable<std::optional<Bytes>> ask_udp(udp::endpoint server, Bytes query, std::chrono::milliseconds wait) {
  auto executor = co_await asio::this_coro::executor;
  udp::socket socket(executor, udp::endpoint(udp::v4(), 0));
  co_await socket.async_send_to(asio::buffer(query), server, kNoThrow);
  asio::steady_timer deadline(executor, wait);
  Bytes reply(65535);
  auto first = co_await (socket.async_receive(asio::buffer(reply), kNoThrow) || deadline.async_wait(kNoThrow));
  if (first.index() != 0 || std::get<0>(std::get<0>(first))) co_return std::nullopt;
  reply.resize(std::get<1>(std::get<0>(first)));
  co_return reply;
}

asio::awaitable<std::optional<Bytes>> ask_tcp(tcp::endpoint server, Bytes query, std::chrono::milliseconds wait) {
  auto executor = co_await asio::this_coro::executor;
  tcp::socket socket(executor);
  asio::steady_timer deadline(executor, wait);
  auto connected = co_await (socket.async_connect(server, kNoThrow) || deadline.async_wait(kNoThrow));
  if (connected.index() != 0 || std::get<0>(std::get<0>(connected))) co_return std::nullopt;
  std::array<uint8_t, 2> length{static_cast<uint8_t>(query.size() >> 8), static_cast<uint8_t>(query.size())};
  std::array<asio::const_buffer, 2> request{asio::buffer(length), asio::buffer(query)};
  co_await asio::async_write(socket, request, kNoThrow);
  auto got = co_await (asio::async_read(socket, asio::buffer(length), kNoThrow) || deadline.async_wait(kNoThrow));
  if (got.index() != 0 || std::get<0>(std::get<0>(got))) co_return std::nullopt;
  Bytes reply(size_t{length[0]} << 8 | length[1]);
  got = co_await (asio::async_read(socket, asio::buffer(reply), kNoThrow) || deadline.async_wait(kNoThrow));
  if (got.index() != 0 || std::get<0>(std::get<0>(got))) co_return std::nullopt;
  co_return reply;
}

// A resolver on loopback, UDP and TCP on one port: answers every query with kOutside (or with
// `rcode`), or, silent, reads and never answers. Keeps what it was sent.
class FakeUpstream {
 public:
  explicit FakeUpstream(asio::io_context& io) : udp_(io), tcp_(io) {
    for (int attempt = 0; attempt < 8 && !tcp_.is_open(); ++attempt) {
      udp_ = udp::socket(io, udp::endpoint(kBlueAddress, 0));
      boost::system::error_code ec;
      tcp_.open(tcp::v4());
      tcp_.bind(tcp::endpoint(kBlueAddress, udp_.local_endpoint().port()), ec);
      if (ec) tcp_.close();
    }
    tcp_.listen();
    asio::co_spawn(io, serve_udp(), asio::detached);
    asio::co_spawn(io, serve_tcp(), asio::detached);
  }

  udp::endpoint endpoint() const { return udp_.local_endpoint(); }

  bool silent = false;
  ldns_pkt_rcode rcode = LDNS_RCODE_NOERROR;
  std::vector<Bytes> udp_queries, tcp_queries;

 private:
  Bytes answer(const Bytes& query) { return testing::upstream_reply(query, kOutside, rcode); }

  asio::awaitable<void> serve_udp() {
    Bytes buffer(65535);
    udp::endpoint from;
    for (;;) {
      auto [ec, length] = co_await udp_.async_receive_from(asio::buffer(buffer), from, kNoThrow);
      if (ec) co_return;
      udp_queries.emplace_back(buffer.begin(), buffer.begin() + length);
      if (silent) continue;
      Bytes reply = answer(udp_queries.back());
      co_await udp_.async_send_to(asio::buffer(reply), from, kNoThrow);
    }
  }

  asio::awaitable<void> serve_tcp() {
    for (;;) {
      auto [ec, socket] = co_await tcp_.async_accept(kNoThrow);
      if (ec) co_return;
      std::array<uint8_t, 2> length{};
      auto [read_ec, n] = co_await asio::async_read(socket, asio::buffer(length), kNoThrow);
      if (read_ec) continue;
      Bytes query(size_t{length[0]} << 8 | length[1]);
      std::tie(read_ec, n) = co_await asio::async_read(socket, asio::buffer(query), kNoThrow);
      if (read_ec) continue;
      tcp_queries.push_back(query);
      if (silent) continue;
      Bytes reply = answer(query);
      length = {static_cast<uint8_t>(reply.size() >> 8), static_cast<uint8_t>(reply.size())};
      std::array<asio::const_buffer, 2> message{asio::buffer(length), asio::buffer(reply)};
      co_await asio::async_write(socket, message, kNoThrow);
    }
  }

  udp::socket udp_;
  tcp::acceptor tcp_;
};

// A port nobody listens on: loopback answers "port unreachable" there at once.
udp::endpoint closed_port(asio::io_context& io) {
  udp::socket socket(io, udp::endpoint(kBlueAddress, 0));
  return socket.local_endpoint();
}

Options quick_options() {
  Options options;
  options.port = 0;
  options.upstream_timeout = 300ms;
  return options;
}

struct DnsServerTest : ::testing::Test {
  void start(std::vector<udp::endpoint> upstreams, Options options = quick_options()) {
    server = std::make_unique<Server>(io.get_executor(), cluster, std::move(upstreams), options);
    Status listening = server->listen("blue", Ipv4(kBlueAddress.to_uint()), loopback_device());
    ASSERT_TRUE(listening) << listening.error().detail;
  }

  udp::endpoint blue() { return {kBlueAddress, *server->port("blue")}; }

  std::optional<Bytes> ask(const Bytes& query, std::optional<udp::endpoint> to = {},
                           std::chrono::milliseconds wait = 3s) {
    return run(io, ask_udp(to ? *to : blue(), query, wait));
  }
  std::optional<Reply> reply_to(const Bytes& query, std::optional<udp::endpoint> to = {}) {
    auto bytes = ask(query, to);
    if (!bytes) return std::nullopt;
    return read_reply(*bytes);
  }

  asio::io_context io;
  FakeUpstream upstream{io};
  std::unique_ptr<Server> server;
};

TEST_F(DnsServerTest, ClusterNameIsAnsweredWithoutAskingUpstream) {
  start({upstream.endpoint()});
  auto reply = reply_to(query_for("web", LDNS_RR_TYPE_A, 0x1111));
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->id, 0x1111);
  EXPECT_EQ(reply->rcode, LDNS_RCODE_NOERROR);
  EXPECT_EQ(reply->addresses, std::vector<std::string>{"172.20.0.5"});
  EXPECT_EQ(reply->ttls, std::vector<uint32_t>{1});
  EXPECT_TRUE(upstream.udp_queries.empty());
  EXPECT_EQ(server->counters().answered, 1u);
}

TEST_F(DnsServerTest, AaaaOfAClusterNameIsNoDataNotForwarded) {
  start({upstream.endpoint()});
  auto reply = reply_to(query_for("web", LDNS_RR_TYPE_AAAA));
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->rcode, LDNS_RCODE_NOERROR);
  EXPECT_EQ(reply->answers, 0u);
  EXPECT_TRUE(upstream.udp_queries.empty());
  EXPECT_EQ(server->counters().nodata, 1u);
}

TEST_F(DnsServerTest, EachNetworkSeesOnlyItsOwnNames) {
  start({upstream.endpoint()});
  ASSERT_TRUE(server->listen("green", Ipv4(kGreenAddress.to_uint()), loopback_device()));
  udp::endpoint green(kGreenAddress, *server->port("green"));

  auto db_from_blue = reply_to(query_for("db"));
  ASSERT_TRUE(db_from_blue);
  EXPECT_EQ(db_from_blue->rcode, LDNS_RCODE_NXDOMAIN);
  auto web_from_green = reply_to(query_for("web"), green);
  ASSERT_TRUE(web_from_green);
  EXPECT_EQ(web_from_green->rcode, LDNS_RCODE_NXDOMAIN);
  auto db_from_green = reply_to(query_for("db"), green);
  ASSERT_TRUE(db_from_green);
  EXPECT_EQ(db_from_green->addresses, std::vector<std::string>{"172.20.1.6"});
  EXPECT_TRUE(upstream.udp_queries.empty());
  EXPECT_EQ(server->counters().nxdomain, 2u);
}

TEST_F(DnsServerTest, UnknownNameIsForwardedUnchangedAndRelayedWithTheClientsId) {
  start({upstream.endpoint()});
  Bytes query = query_for("example.com", LDNS_RR_TYPE_A, 0x2222, true);
  auto reply = reply_to(query);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->id, 0x2222);
  EXPECT_EQ(reply->rcode, LDNS_RCODE_NOERROR);
  EXPECT_EQ(reply->addresses, std::vector<std::string>{"93.184.216.34"});
  ASSERT_EQ(upstream.udp_queries.size(), 1u);
  // The same bytes but for the id, which is the server's own.
  EXPECT_EQ(Bytes(upstream.udp_queries[0].begin() + 2, upstream.udp_queries[0].end()),
            Bytes(query.begin() + 2, query.end()));
  EXPECT_EQ(server->counters().forwarded, 1u);
}

TEST_F(DnsServerTest, ClosedUpstreamGivesServFailAtOnce) {
  start({closed_port(io)});
  auto started = std::chrono::steady_clock::now();
  auto reply = reply_to(query_for("example.com", LDNS_RR_TYPE_A, 0x3333));
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->id, 0x3333);
  EXPECT_EQ(reply->rcode, LDNS_RCODE_SERVFAIL);
  EXPECT_EQ(reply->question, "example.com.");
  EXPECT_LT(std::chrono::steady_clock::now() - started, 300ms);  // refused, not timed out
  EXPECT_EQ(server->counters().servfail, 1u);
}

TEST_F(DnsServerTest, SilentUpstreamGivesServFailAfterTheTimeout) {
  upstream.silent = true;
  start({upstream.endpoint()});
  auto started = std::chrono::steady_clock::now();
  auto reply = reply_to(query_for("example.com"));
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->rcode, LDNS_RCODE_SERVFAIL);
  EXPECT_GE(std::chrono::steady_clock::now() - started, 300ms);
  EXPECT_EQ(upstream.udp_queries.size(), 1u);
}

TEST_F(DnsServerTest, NoUpstreamsGiveServFail) {
  start({});
  auto reply = reply_to(query_for("example.com"));
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->rcode, LDNS_RCODE_SERVFAIL);
}

TEST_F(DnsServerTest, NextUpstreamIsAskedWhenOneIsDownSilentOrFailing) {
  FakeUpstream silent(io), failing(io);
  silent.silent = true;
  failing.rcode = LDNS_RCODE_SERVFAIL;
  start({closed_port(io), silent.endpoint(), failing.endpoint(), upstream.endpoint()});
  auto reply = reply_to(query_for("example.com"));
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->rcode, LDNS_RCODE_NOERROR);
  EXPECT_EQ(reply->addresses, std::vector<std::string>{"93.184.216.34"});
  EXPECT_EQ(silent.udp_queries.size(), 1u);
  EXPECT_EQ(failing.udp_queries.size(), 1u);
}

TEST_F(DnsServerTest, FailingUpstreamsAnswerIsRelayedWhenNoneIsBetter) {
  upstream.rcode = LDNS_RCODE_REFUSED;
  start({closed_port(io), upstream.endpoint()});
  auto reply = reply_to(query_for("example.com"));
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->rcode, LDNS_RCODE_REFUSED);
}

TEST_F(DnsServerTest, TooManyForwardsInFlightGetServFail) {
  Options options = quick_options();
  options.max_forwards = 0;
  start({upstream.endpoint()}, options);
  auto reply = reply_to(query_for("example.com"));
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->rcode, LDNS_RCODE_SERVFAIL);
  EXPECT_TRUE(upstream.udp_queries.empty());
  // Cluster names need no upstream, so they are still answered.
  EXPECT_EQ(reply_to(query_for("web"))->rcode, LDNS_RCODE_NOERROR);
}

TEST_F(DnsServerTest, TcpAnswersClusterNamesAndForwardsOverTcp) {
  start({upstream.endpoint()});
  tcp::endpoint server_tcp(kBlueAddress, *server->port("blue"));
  auto web = run(io, ask_tcp(server_tcp, query_for("web", LDNS_RR_TYPE_A, 0x4444), 3s));
  ASSERT_TRUE(web);
  EXPECT_EQ(read_reply(*web)->id, 0x4444);
  EXPECT_EQ(read_reply(*web)->addresses, std::vector<std::string>{"172.20.0.5"});
  auto outside = run(io, ask_tcp(server_tcp, query_for("example.com", LDNS_RR_TYPE_A, 0x5555), 3s));
  ASSERT_TRUE(outside);
  EXPECT_EQ(read_reply(*outside)->id, 0x5555);
  EXPECT_EQ(read_reply(*outside)->addresses, std::vector<std::string>{"93.184.216.34"});
  EXPECT_EQ(upstream.tcp_queries.size(), 1u);
  EXPECT_TRUE(upstream.udp_queries.empty());
}

TEST_F(DnsServerTest, GarbageIsRefusedOrDroppedAndTheServerGoesOn) {
  start({upstream.endpoint()});
  std::mt19937 random(42);
  Bytes valid = query_for("web");
  udp::socket sender(io, udp::endpoint(udp::v4(), 0));
  for (int i = 0; i < 300; ++i) {
    Bytes junk;
    if (i % 2 == 0) {
      junk.resize(random() % 600);
      for (uint8_t& byte : junk) byte = static_cast<uint8_t>(random());
    } else {
      junk = valid;
      for (int flips = 0; flips < 3; ++flips) junk[random() % junk.size()] = static_cast<uint8_t>(random());
      junk.resize(random() % (junk.size() + 1));
    }
    sender.send_to(asio::buffer(junk), blue());
    // In bursts, so that the socket's receive buffer never overflows and drops the query below.
    if (i % 10 == 9) pause(io, 2ms);
  }
  sender.send_to(asio::buffer(testing::upstream_reply(valid, kOutside)), blue());  // a response
  // TCP: a length announcing more than is sent, then nothing.
  tcp::socket stalled(io);
  stalled.connect(tcp::endpoint(kBlueAddress, *server->port("blue")));
  std::array<uint8_t, 3> partial{0xff, 0xff, 0x00};
  asio::write(stalled, asio::buffer(partial));

  auto reply = reply_to(query_for("web", LDNS_RR_TYPE_A, 0x6666));
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->id, 0x6666);
  EXPECT_EQ(reply->addresses, std::vector<std::string>{"172.20.0.5"});
  EXPECT_GT(server->counters().refused + server->counters().dropped, 0u);
  auto web = run(io, ask_tcp(tcp::endpoint(kBlueAddress, *server->port("blue")), query_for("web"), 3s));
  EXPECT_TRUE(web);
}

TEST_F(DnsServerTest, ListenIsIdempotentAndForgetStopsAnswering) {
  start({upstream.endpoint()});
  uint16_t port = *server->port("blue");
  ASSERT_TRUE(server->listen("blue", Ipv4(kBlueAddress.to_uint()), loopback_device()));
  EXPECT_EQ(server->port("blue"), port);
  EXPECT_TRUE(reply_to(query_for("web")));

  udp::endpoint was(kBlueAddress, port);
  server->forget("blue");
  EXPECT_FALSE(server->port("blue"));
  EXPECT_FALSE(ask(query_for("web"), was, 300ms));
  server->forget("blue");  // again: nothing

  ASSERT_TRUE(server->listen("blue", Ipv4(kBlueAddress.to_uint()), loopback_device()));
  EXPECT_TRUE(reply_to(query_for("web")));
}

TEST_F(DnsServerTest, ListenMovesANetworkToItsNewAddress) {
  start({upstream.endpoint()});
  ASSERT_TRUE(server->listen("blue", Ipv4(kGreenAddress.to_uint()), loopback_device()));
  auto reply = reply_to(query_for("web"), udp::endpoint(kGreenAddress, *server->port("blue")));
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->addresses, std::vector<std::string>{"172.20.0.5"});
}

TEST_F(DnsServerTest, AnAddressOrDeviceThatCannotBeBoundIsAnError) {
  start({upstream.endpoint()});
  Status foreign = server->listen("red", *Ipv4::parse("192.0.2.1"), "");
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().code, "dns_bind_failed");
  EXPECT_EQ(foreign.error().kind, ErrorKind::kUnavailable);
  EXPECT_NE(foreign.error().detail.find("192.0.2.1"), std::string::npos);
  Status no_device = server->listen("red", *Ipv4::parse("127.0.0.3"), "vxnosuchdev0");
  ASSERT_FALSE(no_device);
  EXPECT_EQ(no_device.error().code, "dns_bind_failed");
  EXPECT_FALSE(server->port("red"));
  // The network served already is not disturbed.
  EXPECT_TRUE(reply_to(query_for("web")));
}

TEST_F(DnsServerTest, StopClosesEveryNetworkAndTheServerMayGoFirst) {
  upstream.silent = true;
  start({upstream.endpoint()});
  uint16_t port = *server->port("blue");
  // A forward in flight outlives the Server; its reply goes nowhere.
  udp::socket client(io, udp::endpoint(udp::v4(), 0));
  client.send_to(asio::buffer(query_for("example.com")), blue());
  pause(io, 50ms);
  ASSERT_EQ(upstream.udp_queries.size(), 1u);
  server.reset();
  EXPECT_FALSE(ask(query_for("web"), udp::endpoint(kBlueAddress, port), 500ms));
  pause(io, 100ms);  // past the forward's timeout: it ends, and its SERVFAIL goes nowhere
  EXPECT_FALSE(client.available());
}

}  // namespace
}  // namespace vx::agent::dns
