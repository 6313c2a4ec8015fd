// Running coroutines side by side on an io_context: a phase's workers that are waited for, and
// the background work (heartbeats, watchers) that runs for the whole benchmark.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <exception>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace cpbench {

using Clock = std::chrono::steady_clock;

// Runs the tasks at once and returns when all have ended; then rethrows the first failure.
boost::asio::awaitable<void> run_all(std::vector<boost::asio::awaitable<void>> tasks);

boost::asio::awaitable<void> sleep_for(Clock::duration duration);
boost::asio::awaitable<void> sleep_until(Clock::time_point when);

// Work that runs until the process ends. A failure cannot be thrown at anyone while it happens,
// so it is kept, and each phase asks for it (rethrow_failure) while it waits and when it ends.
class Background {
 public:
  explicit Background(boost::asio::any_io_executor executor) : executor_(std::move(executor)) {}
  void spawn(boost::asio::awaitable<void> task);
  void rethrow_failure() const;

 private:
  boost::asio::any_io_executor executor_;
  std::exception_ptr failure_;
};

// How late an event loop of this process runs a timer that is due every 5 ms: how much of a
// latency measured on that loop is the benchmark's own queueing behind other connections, not the
// server's.
class LoopLag {
 public:
  void start(Background& background);
  // The lateness of each tick since the last call, in ms.
  std::vector<double> take_ms() { return std::exchange(samples_, {}); }

 private:
  boost::asio::awaitable<void> tick();

  std::vector<double> samples_;
};

// Polls the condition every 10 ms until it holds; throws once the timeout runs out (naming what
// was awaited) or when background work failed meanwhile.
boost::asio::awaitable<void> wait_until(const std::function<bool()>& condition, Clock::duration timeout,
                                        const std::string& what, const Background& background);

}  // namespace cpbench
