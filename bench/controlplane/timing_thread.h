// A thread with an io_context of its own for the requests whose latency the benchmark reports. On
// the main io_context the handlers of a thousand watchers and of the heartbeats run between an
// answer's arrival and the reading of its clock, and on a small machine that thread saturates:
// the latency measured there would be mostly the benchmark's own queueing. This thread's event loop
// is watched too (LoopLag), so what is left of the benchmark in a number measured here is known.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <thread>
#include <vector>

#include "tasks.h"

namespace cpbench {

class TimingThread {
 public:
  TimingThread();
  // Stops the thread: what still runs on it is dropped, as the main io_context drops its watchers.
  ~TimingThread();

  boost::asio::any_io_executor executor() { return io_.get_executor(); }

  // Runs the task on this thread and resumes the caller on its own executor with the task's result
  // or exception. The caller waits meanwhile, so the task may read what the caller passed it.
  template <typename T>
  boost::asio::awaitable<T> run(boost::asio::awaitable<T> task) {
    return boost::asio::co_spawn(io_, std::move(task), boost::asio::use_awaitable);
  }

  // How late this thread's event loop ran since the last call, in ms (see LoopLag).
  boost::asio::awaitable<std::vector<double>> take_lag_ms();

 private:
  boost::asio::awaitable<std::vector<double>> take_lag_here();

  boost::asio::io_context io_{1};
  Background background_;  // the lag's ticks, on this thread; a failure surfaces in take_lag_ms()
  LoopLag lag_;            // only this thread touches it
  std::thread thread_;
};

}  // namespace cpbench
