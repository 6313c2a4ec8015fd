// Reading Docker's event stream one short window after another (Runtime::removed_containers and
// network_events answer once their window has passed). Each step reads the window from `since`
// and answers where the next one starts: `since` again when Docker did not answer, so that nothing
// is skipped while it comes back, but never further back than Docker keeps events (after a longer
// outage, housekeeping finds what the stream no longer has).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <string>

#include "common/error.h"

namespace vx::agent {

class EventWindows {
 public:
  using Time = std::chrono::system_clock::time_point;
  // Reads the events of [since, until] and acts on them.
  using Read = std::function<boost::asio::awaitable<Status>(Time since, Time until)>;

  EventWindows(std::string what, std::chrono::milliseconds window) : what_(std::move(what)), window_(window) {}

  boost::asio::awaitable<Time> step(Time since, const Read& read);
  // Steps from now on, until the io_context stops.
  boost::asio::awaitable<void> follow(Read read);

 private:
  std::string what_;  // "container removals", for the log
  std::chrono::milliseconds window_;
  std::string last_error_;
};

}  // namespace vx::agent
