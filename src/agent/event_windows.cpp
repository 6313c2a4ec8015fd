#include "agent/event_windows.h"

#include <spdlog/spdlog.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace vx::agent {

namespace asio = boost::asio;

namespace {

constexpr auto kLongestCatchUp = std::chrono::minutes(5);

}  // namespace

asio::awaitable<EventWindows::Time> EventWindows::step(Time since, const Read& read) {
  auto now = std::chrono::system_clock::now();
  if (now - since > kLongestCatchUp) since = now - kLongestCatchUp;
  auto until = std::max(since, now) + window_;
  Status done = co_await read(since, until);
  if (!done) {
    if (done.error().detail != last_error_) spdlog::warn("cannot follow Docker's {}: {}", what_, done.error().detail);
    last_error_ = done.error().detail;
    asio::steady_timer pause(co_await asio::this_coro::executor);
    pause.expires_after(window_);
    co_await pause.async_wait(asio::use_awaitable);
    co_return since;
  }
  if (!last_error_.empty()) spdlog::info("following Docker's {} again", what_);
  last_error_.clear();
  co_return until;
}

asio::awaitable<void> EventWindows::follow(Read read) {
  auto since = std::chrono::system_clock::now();
  for (;;) since = co_await step(since, read);
}

}  // namespace vx::agent
