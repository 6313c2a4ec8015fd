// An HTTP/1.1 server on Beast. It owns no threads: the caller gives it workers (an executor and
// the handler requests on it go to) and the listeners to accept on, TCP or unix sockets, so that
// a daemon composes its own io_contexts and parts and the server only serves them. Connections go
// to the workers in turn; a handler is only ever called on its own worker's executor, so
// per-worker resources (a Redis connection, say) need no locks.
//
// Bodies over the limit answer 413, malformed requests 400, idle connections time out. Past
// max_connections, a new connection is answered 503 "too_many_connections" and closed, so that
// the process never runs out of descriptors; the first listen raises the open-file limit to fit.
// shutdown() stops accepting, lets requests in flight finish within the grace period, then closes
// what is left.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/http_router.h"

namespace vx {

struct HttpServerOptions {
  size_t body_limit = 64 * 1024;
  std::chrono::seconds idle_timeout{60};
  std::chrono::seconds io_timeout{10};
  std::chrono::seconds shutdown_grace{5};
  std::string token;  // when set, every request but GET / and GET /health must carry it (auth.h)
  size_t max_connections = 10000;
  // GET /metrics needs no token either: for scrapers that cannot send one (auth.h).
  bool open_metrics = false;
};

struct HttpWorker {
  boost::asio::any_io_executor executor;
  RequestHandler* handler;  // must outlive the server
};

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, std::vector<HttpWorker> workers);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Bind at once, accepting only after start(); an address in use is an error, not an exception.
  Status listen_tcp(const std::string& address, uint16_t port);
  // Replaces a socket file left by an earlier run that nobody answers on; refuses one in use.
  Status listen_unix(const std::string& path);
  uint16_t tcp_port() const;  // of the first TCP listener; 0 when there is none

  void start();
  // Callable from any thread; `stopped` runs on the first worker's executor once all is closed.
  void shutdown(std::function<void()> stopped);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// Runs `io_contexts` (the first on the calling thread, the others on threads of their own) until
// SIGTERM or SIGINT, then calls `closing` (to answer long-polls at once, say), shuts `server` down
// gracefully and stops them all.
void serve_until_signalled(HttpServer& server, const std::vector<boost::asio::io_context*>& io_contexts,
                           std::function<void()> closing = {});

}  // namespace vx
