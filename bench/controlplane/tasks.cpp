#include "tasks.h"
#include "common/no_throw.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <stdexcept>

namespace cpbench {

namespace asio = boost::asio;
using vx::kNoThrow;

asio::awaitable<void> run_all(std::vector<asio::awaitable<void>> tasks) {
  auto executor = co_await asio::this_coro::executor;
  asio::steady_timer all_ended(executor, asio::steady_timer::time_point::max());
  size_t running = tasks.size();
  std::exception_ptr first_failure;
  for (auto& task : tasks) {
    // The locals outlive every task: this frame waits below until the last one has ended.
    asio::co_spawn(executor, std::move(task), [&](std::exception_ptr failure) {
      if (failure && !first_failure) first_failure = failure;
      if (--running == 0) all_ended.cancel();
    });
  }
  while (running > 0) co_await all_ended.async_wait(kNoThrow);
  if (first_failure) std::rethrow_exception(first_failure);
}

asio::awaitable<void> sleep_until(Clock::time_point when) {
  asio::steady_timer timer(co_await asio::this_coro::executor, when);
  co_await timer.async_wait(kNoThrow);
}

asio::awaitable<void> sleep_for(Clock::duration duration) { co_await sleep_until(Clock::now() + duration); }

void Background::spawn(asio::awaitable<void> task) {
  asio::co_spawn(executor_, std::move(task), [this](std::exception_ptr failure) {
    if (failure && !failure_) failure_ = failure;
  });
}

void Background::rethrow_failure() const {
  if (failure_) std::rethrow_exception(failure_);
}

void LoopLag::start(Background& background) { background.spawn(tick()); }

asio::awaitable<void> LoopLag::tick() {
  for (;;) {
    auto due = Clock::now() + std::chrono::milliseconds(5);
    co_await sleep_until(due);
    samples_.push_back(std::chrono::duration<double, std::milli>(Clock::now() - due).count());
  }
}

asio::awaitable<void> wait_until(const std::function<bool()>& condition, Clock::duration timeout,
                                 const std::string& what, const Background& background) {
  auto deadline = Clock::now() + timeout;
  while (!condition()) {
    background.rethrow_failure();
    if (Clock::now() >= deadline) throw std::runtime_error("timed out waiting for " + what);
    co_await sleep_for(std::chrono::milliseconds(10));
  }
  background.rethrow_failure();
}

}  // namespace cpbench
