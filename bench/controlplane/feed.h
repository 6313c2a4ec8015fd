// A client of the IPAM's change feed (GET /peers?since=R&wait_ms=T): long-polls on a connection of
// its own, checks each answer against the feed's rules, counts what it received and hands every
// change (or reset snapshot) to a sink. Breaking a rule means this client lost track of the
// registry: that throws, and the benchmark fails.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <stdexcept>

#include "http_connection.h"

namespace cpbench {

// An answer that breaks the feed's rules: whoever follows the feed has lost track of the registry.
struct FeedBroken : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class FeedSink {
 public:
  virtual ~FeedSink() = default;
  // A full view: {"revision","hosts","endpoints"}, from GET /peers or a "reset": true answer.
  virtual void on_snapshot(const boost::json::object& snapshot) = 0;
  virtual void on_change(const boost::json::object& change) = 0;
};

struct FeedCounters {
  uint64_t answers = 0;
  uint64_t bytes = 0;  // every answer as received: status line, headers and body
  uint64_t changes = 0;
  uint64_t resets = 0;
};

class FeedFollower {
 public:
  FeedFollower(boost::asio::any_io_executor executor, uint16_t port, FeedSink& sink);

  // Long-polls from revision `since`, forever: it ends only by throwing.
  boost::asio::awaitable<void> follow(uint64_t since, std::chrono::milliseconds wait);

  uint64_t revision() const { return revision_; }
  const FeedCounters& counters() const { return counters_; }

 private:
  void take(const boost::json::object& answer);
  void take_changes(const boost::json::object& answer);

  HttpConnection connection_;
  FeedSink& sink_;
  uint64_t revision_ = 0;
  FeedCounters counters_;
};

struct Snapshot {
  boost::json::object view;  // {"revision","hosts","endpoints"}
  uint64_t revision = 0;
  size_t body_bytes = 0;
};

// GET /peers: the full view the feed starts from.
boost::asio::awaitable<Snapshot> fetch_snapshot(HttpConnection& connection);

}  // namespace cpbench
