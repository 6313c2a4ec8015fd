// Runs a blocking job on a thread of its own and awaits its result without blocking the
// io_context: the thread signals an eventfd that the coroutine waits on, so nothing is posted to
// the executor from outside. The thread is joined before the coroutine goes on, or when its frame
// is destroyed (an io_context shutting down), so everything the job touches outlives it. Meant
// for short jobs that need a fresh thread, such as one entering another network namespace: the
// thread, and whatever it changed about itself, ends with the job. The job returns a Result;
// failing to start the thread is kUnavailable "no_thread".
#pragma once

#include <sys/eventfd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <type_traits>

#include "common/error.h"

namespace vx::agent {

template <typename Job>
boost::asio::awaitable<std::invoke_result_t<Job&>> run_on_thread(Job job) {
  using Out = std::invoke_result_t<Job&>;
  namespace asio = boost::asio;
  auto executor = co_await asio::this_coro::executor;
  int signal_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (signal_fd < 0) co_return Out(unavailable("no_thread", std::string("eventfd: ") + std::strerror(errno)));
  asio::posix::stream_descriptor done(executor, signal_fd);
  std::optional<Out> out;
  std::string not_started;
  {
    std::jthread worker;  // declared after `done`, so joined before the eventfd closes
    try {
      worker = std::jthread([&] {
        out.emplace(job());
        ::eventfd_write(signal_fd, 1);
      });
    } catch (const std::system_error& e) {
      not_started = e.what();
    }
    if (not_started.empty()) {
      co_await done.async_wait(asio::posix::stream_descriptor::wait_read, asio::as_tuple(asio::use_awaitable));
    }
  }
  if (!out) co_return Out(unavailable("no_thread", "cannot start a thread: " + not_started));
  co_return std::move(*out);
}

}  // namespace vx::agent
