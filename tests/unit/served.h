// An HttpServer with one handler of type Handler, on its own thread once started, and stopped
// gracefully when it goes: for the tests of the server and of the client against it.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <thread>

#include "common/http_server.h"

namespace vx {

template <typename Handler>
class Served {
 public:
  explicit Served(HttpServerOptions options = {}) : server_(options, {{io_.get_executor(), &handler_}}) {}
  ~Served() {
    server_.shutdown([this] { io_.stop(); });
    if (thread_.joinable()) thread_.join();
  }
  HttpServer& server() { return server_; }
  void start() {
    server_.start();
    thread_ = std::thread([this] { io_.run(); });
  }

 private:
  boost::asio::io_context io_{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> busy_ =
      boost::asio::make_work_guard(io_);
  Handler handler_;
  HttpServer server_;
  std::thread thread_;
};

}  // namespace vx
