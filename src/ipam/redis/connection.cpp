#include "ipam/redis/connection.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>

#include <boost/asio/async_result.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "ipam/redis/sentinel.h"

namespace vx::ipam {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kReconnectBackoff = std::chrono::milliseconds(100);
// Each Sentinel gets this long to connect and answer, so that a dead one costs little.
constexpr auto kSentinelTimeout = std::chrono::milliseconds(300);

// The answers of a server that is no longer (or not yet) the master.
bool is_failover_reply(const redisReply* reply) {
  if (reply == nullptr || reply->type != REDIS_REPLY_ERROR) return false;
  std::string_view message(reply->str, reply->len);
  return message.starts_with("READONLY") || message.starts_with("MASTERDOWN");
}

RedisReply copy_reply(const redisReply* reply) {
  RedisReply out;
  switch (reply->type) {
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::kInteger;
      out.integer = reply->integer;
      break;
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
      out.type = reply->type == REDIS_REPLY_STRING   ? RedisReply::Type::kString
                 : reply->type == REDIS_REPLY_STATUS ? RedisReply::Type::kStatus
                                                     : RedisReply::Type::kError;
      out.str.assign(reply->str, reply->len);
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::kArray;
      out.elements.reserve(reply->elements);
      for (size_t i = 0; i < reply->elements; ++i) out.elements.push_back(copy_reply(reply->element[i]));
      break;
    default:
      out.type = RedisReply::Type::kNil;
  }
  return out;
}

}  // namespace

// A caller waiting for one reply. Completion is posted, never run inside hiredis's callback, so
// the waiting coroutine may issue commands or drop the connection freely when it resumes.
struct RedisConnection::Pending {
  virtual ~Pending() = default;
  virtual void complete(Result<RedisReply> result) = 0;
};

template <typename Handler>
struct RedisConnection::PendingHandler : RedisConnection::Pending {
  PendingHandler(asio::io_context& io, Handler handler) : io(io), handler(std::move(handler)) {}
  void complete(Result<RedisReply> result) override {
    asio::post(io, [h = std::move(handler), r = std::move(result)]() mutable { h(std::move(r)); });
  }
  asio::io_context& io;
  Handler handler;
};

// hiredis's event hooks on an Asio descriptor. hiredis owns the socket: on cleanup the descriptor
// is released, not closed. Waits in flight hold a reference, so they outlive the context safely.
struct RedisConnection::Events : std::enable_shared_from_this<Events> {
  Events(asio::io_context& io, redisAsyncContext* context)
      : descriptor(io, context->c.fd), context(context) {}

  void arm(asio::posix::descriptor_base::wait_type type, bool& wanted, bool& waiting) {
    if (waiting || !wanted || context == nullptr) return;
    waiting = true;
    descriptor.async_wait(type, [self = shared_from_this(), type, &wanted, &waiting](
                                    const boost::system::error_code& ec) {
      waiting = false;
      if (ec || self->context == nullptr || !wanted) return;
      if (type == asio::posix::descriptor_base::wait_read) {
        redisAsyncHandleRead(self->context);
      } else {
        redisAsyncHandleWrite(self->context);
      }
      self->arm(type, wanted, waiting);
    });
  }
  void arm_read() { arm(asio::posix::descriptor_base::wait_read, want_read, reading); }
  void arm_write() { arm(asio::posix::descriptor_base::wait_write, want_write, writing); }

  void detach() {
    context = nullptr;
    boost::system::error_code ignored;
    descriptor.cancel(ignored);
    descriptor.release();
  }

  static void attach(redisAsyncContext* context, Events* events) {
    context->ev.data = events;
    context->ev.addRead = [](void* p) { auto* e = static_cast<Events*>(p); e->want_read = true; e->arm_read(); };
    context->ev.delRead = [](void* p) { static_cast<Events*>(p)->want_read = false; };
    context->ev.addWrite = [](void* p) { auto* e = static_cast<Events*>(p); e->want_write = true; e->arm_write(); };
    context->ev.delWrite = [](void* p) { static_cast<Events*>(p)->want_write = false; };
    context->ev.cleanup = [](void* p) { static_cast<Events*>(p)->detach(); };
  }

  asio::posix::stream_descriptor descriptor;
  redisAsyncContext* context;
  bool want_read = false, reading = false;
  bool want_write = false, writing = false;
};

RedisConnection::RedisConnection(asio::io_context& io, RedisEndpoint endpoint, std::chrono::milliseconds timeout,
                                 std::vector<std::string> on_connect)
    : io_(io), endpoint_(std::move(endpoint)), timeout_(timeout), on_connect_(std::move(on_connect)), watchdog_(io) {}

RedisConnection::~RedisConnection() {
  if (context_ != nullptr) {
    redisAsyncContext* context = context_;
    context_ = nullptr;
    last_error_ = "the connection is shutting down";
    redisAsyncFree(context);
  }
}

asio::awaitable<Result<RedisReply>> RedisConnection::command(std::vector<std::string> argv) {
  return asio::async_initiate<decltype(asio::use_awaitable), void(Result<RedisReply>)>(
      [this, argv = std::move(argv)](auto handler) mutable {
        using H = decltype(handler);
        issue(std::move(argv), std::make_unique<PendingHandler<H>>(io_, std::move(handler)));
      },
      asio::use_awaitable);
}

void RedisConnection::issue(std::vector<std::string> argv, std::unique_ptr<Pending> pending) {
  if (context_ != nullptr && master_switched()) drop("the Sentinels switched the master");
  if ((context_ == nullptr && !connect()) || unresponsive_) {
    pending->complete(unavailable("redis_unavailable",
                                  "Redis at " + endpoint_.to_string() + " is unavailable: " + last_error_));
    return;
  }
  if (!send(argv, pending.get())) {
    pending->complete(failure(context_));
    return;
  }
  pending.release();  // hiredis hands it back to on_reply
}

bool RedisConnection::send(const std::vector<std::string>& argv, Pending* pending) {
  std::vector<const char*> args;
  std::vector<size_t> lengths;
  for (const auto& arg : argv) {
    args.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  if (redisAsyncCommandArgv(context_, on_reply, pending, static_cast<int>(args.size()), args.data(),
                            lengths.data()) != REDIS_OK) {
    return false;
  }
  in_flight_.push_back(Clock::now());
  return true;
}

bool RedisConnection::master_switched() const {
  return endpoint_.sentinel && endpoint_.sentinel->switches != switches_seen_;
}

bool RedisConnection::connect() {
  if (Clock::now() < retry_after_) return false;
  if (endpoint_.sentinel) {
    switches_seen_ = endpoint_.sentinel->switches;
    auto master = resolve_master(endpoint_, std::min(timeout_, std::chrono::milliseconds(kSentinelTimeout)));
    if (!master) {
      last_error_ = master.error().detail;
      retry_after_ = Clock::now() + kReconnectBackoff;
      return false;
    }
    if (master->host != endpoint_.host || master->port != endpoint_.port) {
      spdlog::info("the Sentinels name {} the master {}", master->to_string(), endpoint_.sentinel->master_name);
    }
    endpoint_.host = master->host;
    endpoint_.port = master->port;
  }
  redisAsyncContext* context = redisAsyncConnect(endpoint_.host.c_str(), endpoint_.port);
  if (context == nullptr || context->err) {
    last_error_ = context ? context->errstr : "out of memory";
    if (context) redisAsyncFree(context);
    retry_after_ = Clock::now() + kReconnectBackoff;
    return false;
  }
  context->data = this;
  events_ = std::make_shared<Events>(io_, context);
  Events::attach(context, events_.get());
  redisAsyncSetConnectCallback(context, on_connect);
  redisAsyncSetDisconnectCallback(context, on_disconnect);
  context_ = context;
  send_setup_commands();
  arm_watchdog();
  return true;
}

// Sent ahead of any caller's command on the same pipeline, so they apply before it runs. A failed
// AUTH shows up as NOAUTH errors on the commands that follow, which their callers report.
void RedisConnection::send_setup_commands() {
  if (!endpoint_.password.empty()) send({"AUTH", endpoint_.password}, nullptr);
  if (endpoint_.db != 0) send({"SELECT", std::to_string(endpoint_.db)}, nullptr);
  if (!on_connect_.empty()) send(on_connect_, nullptr);
  if (unresponsive_) send({"PING"}, nullptr);
}

void RedisConnection::arm_watchdog() {
  if (watchdog_armed_) return;
  watchdog_armed_ = true;
  watchdog_.expires_after(std::max(timeout_ / 4, std::chrono::milliseconds(10)));
  watchdog_.async_wait([this](const boost::system::error_code& ec) {
    if (ec == asio::error::operation_aborted) return;  // `this` may be gone
    watchdog_armed_ = false;
    check_deadline();
    if (context_ != nullptr) arm_watchdog();
  });
}

void RedisConnection::check_deadline() {
  if (context_ == nullptr || in_flight_.empty() || Clock::now() - in_flight_.front() < timeout_) return;
  unresponsive_ = true;
  drop("no reply within " + std::to_string(timeout_.count()) + " ms");
}

void RedisConnection::drop(const std::string& reason) {
  redisAsyncContext* context = context_;
  forget_context(reason);
  if (context != nullptr) redisAsyncFree(context);  // fails every pending command through on_reply
}

void RedisConnection::forget_context(const std::string& reason) {
  if (context_ == nullptr) return;
  context_ = nullptr;
  in_flight_.clear();  // the dropped context's commands are failing, not waiting
  last_error_ = reason;
  if (was_up_) spdlog::warn("lost Redis at {}: {}", endpoint_.to_string(), reason);
  was_up_ = false;
}

Error RedisConnection::failure(const redisAsyncContext* context) const {
  std::string reason = context != nullptr && context->err ? context->errstr : last_error_;
  if (reason.empty()) reason = "the connection closed";
  return unavailable("redis_unavailable", "Redis at " + endpoint_.to_string() + " failed: " + reason);
}

void RedisConnection::on_connect(const redisAsyncContext* context, int status) {
  auto* self = static_cast<RedisConnection*>(context->data);
  if (status == REDIS_OK) {
    if (!self->was_up_) spdlog::info("connected to Redis at {}", self->endpoint_.to_string());
    self->was_up_ = true;
    return;
  }
  // hiredis frees the context right after this callback.
  self->forget_context(context->errstr);
  self->retry_after_ = Clock::now() + kReconnectBackoff;
}

void RedisConnection::on_disconnect(const redisAsyncContext* context, int status) {
  auto* self = static_cast<RedisConnection*>(context->data);
  if (self->context_ == context) {
    self->forget_context(status == REDIS_OK ? "disconnected" : context->errstr);
  }
}

void RedisConnection::on_reply(redisAsyncContext* context, void* reply, void* privdata) {
  auto* self = static_cast<RedisConnection*>(context->data);
  std::unique_ptr<Pending> pending(static_cast<Pending*>(privdata));
  if (self->context_ == context && reply != nullptr) self->unresponsive_ = false;
  if (self->context_ == context && !self->in_flight_.empty()) self->in_flight_.pop_front();
  auto* answer = static_cast<redisReply*>(reply);
  if (pending == nullptr) {  // a setup command
    if (answer != nullptr && answer->type == REDIS_REPLY_ERROR) {
      spdlog::error("Redis at {} refused setup: {}", self->endpoint_.to_string(), answer->str);
    }
  } else if (answer == nullptr) {
    pending->complete(self->failure(context));
  } else {
    pending->complete(copy_reply(answer));
  }
  if (self->context_ == context && self->endpoint_.sentinel && is_failover_reply(answer)) {
    self->drop(std::string("a failover is in progress: ") + answer->str);
  }
}

}  // namespace vx::ipam
