#include "cluster.h"

#include <boost/asio/this_coro.hpp>
#include <boost/json.hpp>
#include <cstdio>

namespace cpbench {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

std::string underlay_ip(size_t index) {
  size_t address = index + 1;  // 10.0.0.1 on: never a network address
  return "10." + std::to_string((address >> 16) & 0xff) + "." + std::to_string((address >> 8) & 0xff) + "." +
         std::to_string(address & 0xff);
}

// The share of items [0, count) that lane `lane` of `lanes` works on.
std::vector<size_t> share(size_t count, size_t lane, size_t lanes) {
  std::vector<size_t> out;
  for (size_t i = lane; i < count; i += lanes) out.push_back(i);
  return out;
}

asio::awaitable<void> register_host_share(uint16_t port, size_t count, size_t lane, size_t lanes) {
  HttpConnection connection(co_await asio::this_coro::executor, port);
  for (size_t i : share(count, lane, lanes)) {
    json::object body{
        {"host_id", host_id(i)}, {"underlay_ip", underlay_ip(i)}, {"agent_url", "http://" + underlay_ip(i) + ":8001"}};
    co_await send_expecting_success(connection, "POST", "/hosts", json::serialize(body), kRequestTimeout);
  }
}

asio::awaitable<void> register_container_share(uint16_t port, size_t count, size_t hosts, size_t lane, size_t lanes) {
  HttpConnection connection(co_await asio::this_coro::executor, port);
  for (size_t i : share(count, lane, lanes)) {
    co_await add_endpoint(connection, container_name(i), host_id(i % hosts), mac_address(0, i));
  }
}

asio::awaitable<void> time_allocation_share(uint16_t port, const std::string& prefix, size_t count, size_t hosts,
                                            size_t lane, size_t lanes, std::vector<double>& latencies) {
  HttpConnection connection(co_await asio::this_coro::executor, port);
  for (size_t i : share(count, lane, lanes)) {
    json::object body{{"container_name", prefix + "-" + std::to_string(i)}, {"host_id", host_id(i % hosts)}};
    std::string text = json::serialize(body);
    auto started = Clock::now();
    co_await send_expecting_success(connection, "POST", "/allocate", text, kRequestTimeout);
    latencies.push_back(std::chrono::duration<double, std::milli>(Clock::now() - started).count());
    co_await send_expecting_success(connection, "POST", "/deallocate", text, kRequestTimeout);
  }
}

}  // namespace

std::string host_id(size_t index) { return "h-" + std::to_string(index); }

std::string container_name(size_t index) { return "c-" + std::to_string(index); }

std::string mac_address(uint8_t tag, size_t index) {
  char text[18];
  std::snprintf(text, sizeof text, "02:%02x:%02x:%02x:%02x:%02x", tag, static_cast<unsigned>((index >> 24) & 0xff),
                static_cast<unsigned>((index >> 16) & 0xff), static_cast<unsigned>((index >> 8) & 0xff),
                static_cast<unsigned>(index & 0xff));
  return text;
}

asio::awaitable<void> register_hosts(uint16_t port, size_t count, size_t lanes) {
  std::vector<asio::awaitable<void>> tasks;
  for (size_t lane = 0; lane < lanes; ++lane) tasks.push_back(register_host_share(port, count, lane, lanes));
  co_await run_all(std::move(tasks));
}

asio::awaitable<void> add_endpoint(HttpConnection& connection, const std::string& name, const std::string& host,
                                   const std::string& mac) {
  json::object allocation{{"container_name", name}, {"host_id", host}};
  co_await send_expecting_success(connection, "POST", "/allocate", json::serialize(allocation), kRequestTimeout);
  json::object endpoint{{"host_id", host}, {"mac_address", mac}};
  co_await send_expecting_success(connection, "POST", "/container/" + name + "/endpoint", json::serialize(endpoint),
                                  kRequestTimeout);
}

asio::awaitable<void> register_containers(uint16_t port, size_t count, size_t hosts, size_t lanes) {
  std::vector<asio::awaitable<void>> tasks;
  for (size_t lane = 0; lane < lanes; ++lane) {
    tasks.push_back(register_container_share(port, count, hosts, lane, lanes));
  }
  co_await run_all(std::move(tasks));
}

asio::awaitable<std::vector<double>> time_allocations(uint16_t port, const std::string& prefix, size_t count,
                                                      size_t hosts, size_t lanes) {
  std::vector<double> latencies;
  std::vector<asio::awaitable<void>> tasks;
  for (size_t lane = 0; lane < lanes; ++lane) {
    tasks.push_back(time_allocation_share(port, prefix, count, hosts, lane, lanes, latencies));
  }
  co_await run_all(std::move(tasks));
  co_return latencies;
}

Heartbeats::Heartbeats(uint16_t port, size_t hosts, size_t lanes, Clock::duration interval)
    : port_(port), lanes_(std::min(lanes, hosts)), interval_(interval), hosts_(hosts) {}

void Heartbeats::start(Background& background) {
  for (size_t lane = 0; lane < lanes_; ++lane) background.spawn(beat(lane));
}

asio::awaitable<void> Heartbeats::pause() {
  paused_ = true;
  while (rounds_in_flight_ > 0) co_await sleep_for(std::chrono::milliseconds(5));
}

void Heartbeats::resume() { paused_ = false; }

// A fixed schedule, each lane offset from the others so the heartbeats spread over the interval:
// a slow round makes the next one start at once rather than the rate drop.
asio::awaitable<void> Heartbeats::beat(size_t lane) {
  HttpConnection connection(co_await asio::this_coro::executor, port_);
  Clock::time_point next = Clock::now() + interval_ * static_cast<int64_t>(lane) / static_cast<int64_t>(lanes_);
  for (;;) {
    co_await sleep_until(next);
    if (!paused_) co_await beat_round(connection, lane);
    next = std::max(next + interval_, Clock::now());
  }
}

asio::awaitable<void> Heartbeats::beat_round(HttpConnection& connection, size_t lane) {
  // Counted down however the round ends: a failed one must not hold pause() up for good.
  struct InFlight {
    size_t& rounds;
    explicit InFlight(size_t& count) : rounds(++count) {}
    ~InFlight() { --rounds; }
  } in_flight(rounds_in_flight_);
  for (size_t host : share(hosts_, lane, lanes_)) {
    auto started = Clock::now();
    co_await send_expecting_success(connection, "POST", "/hosts/" + host_id(host) + "/heartbeat", "", kRequestTimeout);
    latencies_ms_.push_back(std::chrono::duration<double, std::milli>(Clock::now() - started).count());
    ++sent_;
  }
}

}  // namespace cpbench
