#include "common/http_server.h"

#include "common/auth.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>
#include <list>
#include <thread>

#include <sys/resource.h>

namespace vx {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using asio::use_awaitable;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

namespace {

struct Session {
  beast::tcp_stream* stream;
  bool busy = false;
};

struct Worker {
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> guard = asio::make_work_guard(io);
  std::unique_ptr<RequestHandler> handler;
  std::list<Session*> sessions;  // touched only on this worker's thread
};

Result<HttpRequest> decode_request(const http::request<http::string_body>& message) {
  HttpRequest request;
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  auto url = boost::urls::parse_origin_form(message.target());
  if (!url) return bad_input("malformed_request", "the request target is not a valid path");
  for (auto segment : url->segments()) {
    if (!segment.empty()) request.segments.push_back(std::move(segment));
  }
  for (auto param : url->params()) request.query[param.key] = param.value;
  request.body = message.body();
  request.authorization = std::string(message[http::field::authorization]);
  return request;
}

http::response<http::string_body> encode_response(const HttpResponse& response, unsigned version,
                                                  bool keep_alive) {
  http::response<http::string_body> message{static_cast<http::status>(response.status), version};
  message.set(http::field::server, "vxlan-cluster");
  message.set(http::field::content_type, response.content_type);
  if (!response.allow.empty()) message.set(http::field::allow, response.allow);
  message.keep_alive(keep_alive);
  message.body() = response.body;
  message.prepare_payload();
  return message;
}

// Descriptors kept for everything but connections: Redis, Docker, logs, the listening sockets.
constexpr rlim_t kSpareDescriptors = 64;

// Raises the soft open-file limit as far as needed for `connections` (up to the hard limit), and
// answers how many connections fit.
size_t fit_open_file_limit(size_t connections) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return connections;
  rlim_t wanted = connections + kSpareDescriptors;
  if (limit.rlim_cur < wanted) {
    limit.rlim_cur = limit.rlim_max == RLIM_INFINITY ? wanted : std::min(wanted, limit.rlim_max);
    setrlimit(RLIMIT_NOFILE, &limit);
    getrlimit(RLIMIT_NOFILE, &limit);
  }
  if (limit.rlim_cur >= wanted) return connections;
  return limit.rlim_cur > 2 * kSpareDescriptors ? limit.rlim_cur - kSpareDescriptors : kSpareDescriptors;
}

}  // namespace

struct HttpServer::Impl {
  HttpServerOptions options;
  std::vector<std::unique_ptr<Worker>> workers;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::atomic<bool> stopping{false};
  std::atomic<int> open_sessions{0};
  std::atomic<uint64_t> refused{0};
  size_t next_worker = 0;

  asio::io_context& main_io() { return workers.front()->io; }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      Worker& worker = *workers[next_worker++ % workers.size()];
      auto [ec, socket] = co_await acceptor->async_accept(worker.io, kNoThrow);
      if (stopping) co_return;
      if (ec) {  // out of descriptors, say: wait rather than spin on the error
        spdlog::warn("accept failed: {}", ec.message());
        asio::steady_timer pause(main_io(), std::chrono::milliseconds(100));
        co_await pause.async_wait(kNoThrow);
        continue;
      }
      socket.set_option(tcp::no_delay(true));
      if (static_cast<size_t>(open_sessions.load()) >= options.max_connections) {
        asio::co_spawn(worker.io, refuse(std::move(socket)), asio::detached);
        continue;
      }
      asio::co_spawn(worker.io, serve(worker, std::move(socket)), asio::detached);
    }
  }

  // Says why before closing, so that a client over the limit sees a reason, not a reset.
  asio::awaitable<void> refuse(tcp::socket socket) {
    ++open_sessions;
    if (refused++ % 1000 == 0) {
      spdlog::warn("{} connections open, the limit: refusing more ({} refused so far)", options.max_connections,
                   refused.load());
    }
    beast::tcp_stream stream(std::move(socket));
    stream.expires_after(std::chrono::seconds(1));
    auto response = encode_response(
        error_response(unavailable("too_many_connections",
                                   "this server already serves " + std::to_string(options.max_connections) +
                                       " connections; try again later or another replica")),
        11, false);
    co_await http::async_write(stream, response, kNoThrow);
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    --open_sessions;
  }

  asio::awaitable<HttpResponse> answer(Worker& worker,
                                       const http::request<http::string_body>& message) {
    auto request = decode_request(message);
    if (!request) co_return error_response(request.error());
    if (Status allowed = check_token(*request, options.token); !allowed) co_return error_response(allowed.error());
    try {
      co_return co_await worker.handler->handle(*request);
    } catch (const std::exception& e) {
      spdlog::error("{} {} failed: {}", request->method, request->target, e.what());
      co_return error_response(internal("internal_error", e.what()));
    }
  }

  // Answers a request the parser rejected, then the connection closes: after a parse error the
  // rest of the stream cannot be trusted.
  static std::optional<HttpResponse> parse_failure_response(const beast::error_code& ec) {
    if (ec == http::error::body_limit) {
      return error_response({ErrorKind::kTooLarge, "body_too_large",
                             "the request body exceeds the server's limit"});
    }
    if (ec.category() == http::make_error_code(http::error::bad_target).category()) {  // a parse error
      return error_response(bad_input("malformed_request", "malformed HTTP request: " + ec.message()));
    }
    return std::nullopt;  // a reset, a timeout: nobody to answer
  }

  asio::awaitable<void> serve(Worker& worker, tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    Session session{&stream};
    auto registered = worker.sessions.insert(worker.sessions.end(), &session);
    ++open_sessions;
    beast::flat_buffer buffer;
    for (bool keep_alive = true; keep_alive && !stopping;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(options.body_limit);
      parser.header_limit(16 * 1024);
      stream.expires_after(options.idle_timeout);
      auto [read_ec, read_bytes] = co_await http::async_read(stream, buffer, parser, kNoThrow);
      session.busy = true;
      HttpResponse response;
      unsigned version = 11;
      if (read_ec) {
        auto failure = parse_failure_response(read_ec);
        if (!failure || read_ec == http::error::end_of_stream) break;
        response = std::move(*failure);
        keep_alive = false;
      } else {
        auto& message = parser.get();
        version = message.version();
        keep_alive = message.keep_alive();
        auto started = std::chrono::steady_clock::now();
        response = co_await answer(worker, message);
        spdlog::debug("{} {} -> {} in {} us", std::string(message.method_string()),
                      std::string(message.target()), response.status,
                      std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::steady_clock::now() - started).count());
      }
      auto encoded = encode_response(response, version, keep_alive && !stopping);
      stream.expires_after(options.io_timeout);
      auto [write_ec, written] = co_await http::async_write(stream, encoded, kNoThrow);
      session.busy = false;
      if (write_ec) break;
    }
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    worker.sessions.erase(registered);
    --open_sessions;
  }

  void begin_shutdown() {
    if (stopping.exchange(true)) return;
    spdlog::info("shutting down: no new connections, finishing requests in flight");
    beast::error_code ignored;
    acceptor->close(ignored);
    for (auto& worker : workers) {
      asio::post(worker->io, [w = worker.get()] {
        for (Session* session : w->sessions) {
          if (!session->busy) session->stream->socket().cancel();
        }
      });
    }
    asio::co_spawn(main_io(), drain_then_stop(), asio::detached);
  }

  asio::awaitable<void> drain_then_stop() {
    asio::steady_timer timer(main_io());
    auto deadline = std::chrono::steady_clock::now() + options.shutdown_grace;
    while (open_sessions > 0 && std::chrono::steady_clock::now() < deadline) {
      timer.expires_after(std::chrono::milliseconds(20));
      co_await timer.async_wait(kNoThrow);
    }
    if (open_sessions > 0) spdlog::warn("{} connections still open after the grace period", open_sessions.load());
    for (auto& worker : workers) worker->io.stop();
  }
};

HttpServer::HttpServer(HttpServerOptions options, HandlerFactory make_handler)
    : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  for (int i = 0; i < std::max(1, impl_->options.threads); ++i) {
    auto worker = std::make_unique<Worker>();
    worker->handler = make_handler(worker->io);
    impl_->workers.push_back(std::move(worker));
  }
}

HttpServer::~HttpServer() = default;

Status HttpServer::listen() {
  beast::error_code ec;
  auto address = asio::ip::make_address(impl_->options.address, ec);
  if (ec) return bad_input("invalid_listen", "'" + impl_->options.address + "' is not an IP address");
  tcp::endpoint endpoint(address, impl_->options.port);
  auto acceptor = std::make_unique<tcp::acceptor>(impl_->main_io());
  acceptor->open(endpoint.protocol(), ec);
  if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor->bind(endpoint, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return unavailable("listen_failed", "cannot listen on " + impl_->options.address + ":" +
                                            std::to_string(impl_->options.port) + ": " + ec.message());
  }
  impl_->acceptor = std::move(acceptor);
  size_t fit = fit_open_file_limit(impl_->options.max_connections);
  if (fit < impl_->options.max_connections) {
    spdlog::warn("the open-file limit allows {} connections, not {}: serving {} at most", fit,
                 impl_->options.max_connections, fit);
    impl_->options.max_connections = fit;
  }
  return Ok{};
}

uint16_t HttpServer::port() const { return impl_->acceptor->local_endpoint().port(); }

void HttpServer::run() {
  asio::signal_set signals(impl_->main_io(), SIGTERM, SIGINT);
  signals.async_wait([this](const beast::error_code& ec, int signal) {
    if (!ec) spdlog::info("received signal {}", signal);
    if (!ec) impl_->begin_shutdown();
  });
  asio::co_spawn(impl_->main_io(), impl_->accept_loop(), asio::detached);
  spdlog::info("listening on {}:{} with {} threads", impl_->options.address, port(),
               impl_->workers.size());
  std::vector<std::thread> threads;
  for (size_t i = 1; i < impl_->workers.size(); ++i) {
    threads.emplace_back([w = impl_->workers[i].get()] { w->io.run(); });
  }
  impl_->main_io().run();
  for (auto& thread : threads) thread.join();
  spdlog::info("stopped");
}

void HttpServer::stop() {
  asio::post(impl_->main_io(), [this] { impl_->begin_shutdown(); });
}

}  // namespace vx
