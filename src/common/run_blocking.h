// Runs one coroutine on an io_context until it finishes and returns its value: the bridge from
// blocking code (start-up checks, command-line tools, tests) to the asynchronous APIs. Other work
// on the io_context (a connection's timers, say) does not keep it running once the task is done.
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <optional>

namespace vx {

template <typename T>
T run_blocking(boost::asio::io_context& io, boost::asio::awaitable<T> task) {
  std::optional<T> out;
  boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<void> {
        out.emplace(co_await std::move(task));
        io.stop();
      },
      boost::asio::detached);
  io.restart();
  io.run();
  return std::move(*out);
}

}  // namespace vx
