#include "timing_thread.h"

namespace cpbench {

namespace asio = boost::asio;

// The lag's ticks never end, so the io_context never runs out of work until it is stopped.
TimingThread::TimingThread() : background_(io_.get_executor()) {
  lag_.start(background_);
  thread_ = std::thread([this] { io_.run(); });
}

TimingThread::~TimingThread() {
  io_.stop();
  thread_.join();
}

asio::awaitable<std::vector<double>> TimingThread::take_lag_ms() { return run(take_lag_here()); }

asio::awaitable<std::vector<double>> TimingThread::take_lag_here() {
  background_.rethrow_failure();
  co_return lag_.take_ms();
}

}  // namespace cpbench
