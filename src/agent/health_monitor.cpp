#include "agent/health_monitor.h"

#include <spdlog/spdlog.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace vx::agent {

namespace asio = boost::asio;

asio::awaitable<void> HealthMonitor::run() {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (;;) {
    co_await check_docker();
    timer.expires_after(interval_);
    co_await timer.async_wait(asio::use_awaitable);
  }
}

asio::awaitable<Status> HealthMonitor::check_docker() {
  Status docker = co_await runtime_.ping();
  std::string error = docker ? "" : docker.error().detail;
  if (error != observed_.docker_error && observed_.docker_error != "not checked yet") {
    error.empty() ? spdlog::info("Docker answers again") : spdlog::warn("Docker does not answer: {}", error);
  }
  observed_.docker_error = std::move(error);
  co_return docker;
}

void HealthMonitor::note_ipam(const Status& heartbeat) {
  observed_.ipam_error = heartbeat ? "" : heartbeat.error().detail;
}

}  // namespace vx::agent
