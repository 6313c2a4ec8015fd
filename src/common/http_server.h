// An HTTP/1.1 server on Beast with a fixed number of worker threads, each running its own
// io_context with its own request handler, so per-thread resources (a Redis connection, say) need
// no locks. Bodies over the limit answer 413, malformed requests 400, idle connections time out.
// Past max_connections, a new connection is answered 503 and closed. run() returns after SIGTERM or
// SIGINT, once in-flight requests finished or the grace period ran out.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "common/error.h"
#include "common/http_router.h"

namespace vx {

struct HttpServerOptions {
  std::string address = "0.0.0.0";
  uint16_t port = 0;
  int threads = 2;
  size_t body_limit = 64 * 1024;
  std::chrono::seconds idle_timeout{60};
  std::chrono::seconds io_timeout{10};
  std::chrono::seconds shutdown_grace{5};
  std::string token;  // when set, every request but GET / and GET /health must carry it (auth.h)
  // Connections served at once. One more is answered 503 "too_many_connections" and closed, so that
  // the process never runs out of descriptors; listen() raises the open-file limit to fit.
  size_t max_connections = 10000;
};

class HttpServer {
 public:
  // Called once per worker, on the thread that builds the server, with that worker's io_context.
  using HandlerFactory = std::function<std::unique_ptr<RequestHandler>(boost::asio::io_context&)>;

  HttpServer(HttpServerOptions options, HandlerFactory make_handler);
  ~HttpServer();

  // Binds the listening socket; an address in use is an error, not an exception.
  Status listen();
  uint16_t port() const;

  // Serves until SIGTERM, SIGINT or stop().
  void run();
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vx
