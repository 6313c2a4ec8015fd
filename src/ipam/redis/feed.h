// Keeps a ClusterView in step with the change log in Redis (scripts.h), for one IPAM process.
//
// follow() loads a snapshot without blocking Redis (HSCAN in pages, then the changes made meanwhile
// replayed on top), then tails the log with one blocking XREAD at a time. Its connections mark the
// Redis lifetime on connecting, as all the IPAM's do. A reset entry (a new Redis lifetime, a wiped Redis) or a gap in the revisions (the log
// trimmed past this reader) makes it load again. A connection failure is retried after a pause;
// the view keeps what it has meanwhile and says why in feed_error().
//
// sweep() marks hosts whose heartbeats stopped as no longer alive, a change like any other. Every
// replica sweeps; the script is idempotent.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "common/error.h"
#include "ipam/redis/connection.h"
#include "ipam/redis/script.h"
#include "ipam/view/cluster_view.h"

namespace vx::ipam {

// The command every connection of the IPAM sends before anything else: it marks the Redis process
// it reached (scripts.h, kMarkLifetime), so that no change is ever logged under the revisions of a
// Redis that came back with fewer writes than it had handed out.
std::vector<std::string> mark_lifetime_command();

// A connection to Redis that marks the lifetime on every (re)connect.
std::shared_ptr<RedisConnection> connect_to_registry(boost::asio::io_context& io, const RedisEndpoint& redis,
                                                     std::chrono::milliseconds timeout);

class RedisFeed {
 public:
  RedisFeed(boost::asio::io_context& io, const RedisEndpoint& redis, std::chrono::milliseconds timeout,
            std::chrono::milliseconds host_ttl, ClusterView& view);

  boost::asio::awaitable<void> follow();
  boost::asio::awaitable<void> sweep();

 private:
  enum class Next { kTail, kReload };

  boost::asio::awaitable<Status> load();
  boost::asio::awaitable<Status> scan(proto::Snapshot& snapshot);
  boost::asio::awaitable<Result<std::vector<proto::Change>>> history(const std::string& cursor, uint64_t revision);
  boost::asio::awaitable<Result<Next>> tail();
  void report(const Status& status);
  void wake_watchers_at(std::chrono::steady_clock::time_point due);

  boost::asio::io_context& io_;
  std::chrono::milliseconds host_ttl_;
  ClusterView& view_;
  std::shared_ptr<RedisConnection> reader_;   // blocks in XREAD: used by follow() alone
  std::shared_ptr<RedisConnection> sweeper_;  // used by sweep() alone
  RedisScript<lua::FeedPosition> position_;
  RedisScript<lua::SweepHosts> sweep_hosts_;
  std::string cursor_;  // the stream id of the last change applied
  std::string last_error_;
  boost::asio::steady_timer watch_wake_;
  bool watch_wake_armed_ = false;
};

}  // namespace vx::ipam
