// One asynchronous connection to Redis, bound to one io_context and used only from its thread.
// Commands issued while earlier ones are in flight are pipelined on the same socket.
//
// It connects on first use and again after any failure, waiting a short back-off between failed
// attempts so that a Redis outage answers fast instead of piling up. AUTH and SELECT go first on
// every new connection. Every command has a deadline: when the oldest reply is overdue the
// connection is dropped and every command waiting on it fails, so no caller waits forever. Redis is
// then known to be unresponsive (stopped, or hung): the next connection first checks with a PING,
// and callers' commands fail at once until Redis answers, rather than each waiting out a deadline.
//
// With a sentinel:// endpoint, every (re)connect first asks the Sentinels where the master is
// (sentinel.h), and the connection is dropped, to connect to the master anew, when the Sentinels
// announce a switch or the server answers READONLY or MASTERDOWN (a failover in progress).
//
// A Redis error reply (type kError) is a successful call; only a transport failure is an Error,
// of kind kUnavailable, saying what happened.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "common/error.h"
#include "ipam/redis/reply.h"
#include "ipam/redis/url.h"

struct redisAsyncContext;

namespace vx::ipam {

class RedisConnection {
 public:
  // `on_connect`, when given, is sent on every new connection right after AUTH and SELECT, ahead
  // of any caller's command; its reply is not read.
  RedisConnection(boost::asio::io_context& io, RedisEndpoint endpoint, std::chrono::milliseconds timeout,
                  std::vector<std::string> on_connect = {});
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  boost::asio::awaitable<Result<RedisReply>> command(std::vector<std::string> argv);

  const RedisEndpoint& endpoint() const { return endpoint_; }
  boost::asio::any_io_executor executor() const { return io_.get_executor(); }

 private:
  struct Pending;
  template <typename Handler>
  struct PendingHandler;
  struct Events;

  void issue(std::vector<std::string> argv, std::unique_ptr<Pending> pending);
  bool send(const std::vector<std::string>& argv, Pending* pending);
  bool connect();
  void send_setup_commands();
  void arm_watchdog();
  void check_deadline();
  void forget_context(const std::string& reason);
  // Drops the connection at once: every command waiting on it fails.
  void drop(const std::string& reason);
  bool master_switched() const;
  Error failure(const redisAsyncContext* context) const;

  static void on_connect(const redisAsyncContext* context, int status);
  static void on_disconnect(const redisAsyncContext* context, int status);
  static void on_reply(redisAsyncContext* context, void* reply, void* privdata);

  boost::asio::io_context& io_;
  RedisEndpoint endpoint_;
  std::chrono::milliseconds timeout_;
  std::vector<std::string> on_connect_;
  redisAsyncContext* context_ = nullptr;
  std::shared_ptr<Events> events_;
  std::deque<std::chrono::steady_clock::time_point> in_flight_;  // issue times, oldest first
  boost::asio::steady_timer watchdog_;
  bool watchdog_armed_ = false;
  std::string last_error_;   // why the last connection failed or was dropped
  bool was_up_ = false;      // for logging transitions, not every failed attempt
  bool unresponsive_ = false;  // a reply was overdue, and none has come since
  std::chrono::steady_clock::time_point retry_after_{};
  uint64_t switches_seen_ = 0;  // of the Sentinels' master switches, when this connection was made
};

}  // namespace vx::ipam
