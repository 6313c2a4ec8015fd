#include "common/http_server.h"

#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>
#include <list>
#include <thread>

#include "common/auth.h"
#include "common/no_throw.h"

namespace vx {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using unix_socket = asio::local::stream_protocol;

namespace {

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

// The peer's IPv4 address, IPv4-mapped IPv6 included; none for a unix socket or a closed socket.
template <typename Socket>
std::optional<Ipv4> peer_of(const Socket& socket) {
  if constexpr (std::is_same_v<typename Socket::protocol_type, tcp>) {
    beast::error_code ec;
    auto address = socket.remote_endpoint(ec).address();
    if (ec) return std::nullopt;
    if (address.is_v6() && address.to_v6().is_v4_mapped()) {
      address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
    }
    if (address.is_v4()) return Ipv4(address.to_v4().to_uint());
  }
  return std::nullopt;
}

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
  request.instance = std::string(message[kInstanceHeader]);
  request.fetch_site = std::string(message["Sec-Fetch-Site"]);
  request.origin = std::string(message[http::field::origin]);
  request.host = std::string(message[http::field::host]);
  return request;
}

http::response<http::string_body> encode_response(const HttpResponse& response, unsigned version,
                                                  bool keep_alive) {
  http::response<http::string_body> message{static_cast<http::status>(response.status), version};
  message.set(http::field::server, "vxlan-cluster");
  message.set(http::field::content_type, response.content_type);
  // Answers are of the moment and often echo what was sent: never cached, never sniffed as markup.
  message.set(http::field::cache_control, "no-store");
  message.set("X-Content-Type-Options", "nosniff");
  for (const auto& [name, value] : response.headers) message.set(name, value);
  message.keep_alive(keep_alive);
  message.body() = response.body;
  message.prepare_payload();
  return message;
}

// Answers a request the parser rejected, then the connection closes: after a parse error the rest
// of the stream cannot be trusted.
std::optional<HttpResponse> parse_failure_response(const beast::error_code& ec) {
  if (ec == http::error::body_limit) {
    return error_response({ErrorKind::kTooLarge, "body_too_large", "the request body exceeds the server's limit"});
  }
  if (ec.category() == http::make_error_code(http::error::bad_target).category()) {  // a parse error
    return error_response(bad_input("malformed_request", "malformed HTTP request: " + ec.message()));
  }
  return std::nullopt;  // a reset, a timeout: nobody to answer
}

// A connection, as shutdown sees it: whether a request is being answered, and how to close it.
struct Session {
  bool busy = false;
  std::function<void()> cancel;
};

}  // namespace

struct HttpServer::Impl : std::enable_shared_from_this<Impl> {
  struct Worker {
    HttpWorker parts;
    std::list<Session*> sessions;  // touched only on the worker's executor
  };

  HttpServerOptions options;
  std::vector<Worker> workers;
  std::vector<std::unique_ptr<tcp::acceptor>> tcp_acceptors;
  std::vector<std::unique_ptr<unix_socket::acceptor>> unix_acceptors;
  std::atomic<bool> stopping{false};
  std::atomic<int> open_sessions{0};
  std::atomic<uint64_t> refused{0};
  size_t next_worker = 0;
  bool limit_fitted = false;

  asio::any_io_executor main_executor() const { return workers.front().parts.executor; }

  void fit_limit() {
    if (limit_fitted) return;
    limit_fitted = true;
    size_t fit = fit_open_file_limit(options.max_connections);
    if (fit < options.max_connections) {
      spdlog::warn("the open-file limit allows {} connections, not {}: serving {} at most", fit,
                   options.max_connections, fit);
      options.max_connections = fit;
    }
  }

  template <typename Acceptor>
  asio::awaitable<void> accept_loop(Acceptor& acceptor) {
    auto self = shared_from_this();
    for (;;) {
      Worker& worker = workers[next_worker++ % workers.size()];
      auto [ec, socket] = co_await acceptor.async_accept(worker.parts.executor, kNoThrow);
      if (stopping) co_return;
      if (ec) {  // out of descriptors, say: wait rather than spin on the error
        spdlog::warn("accept failed: {}", ec.message());
        asio::steady_timer pause(main_executor(), std::chrono::milliseconds(100));
        co_await pause.async_wait(kNoThrow);
        continue;
      }
      if constexpr (std::is_same_v<Acceptor, tcp::acceptor>) socket.set_option(tcp::no_delay(true));
      bool over = static_cast<size_t>(open_sessions.load()) >= options.max_connections;
      asio::co_spawn(worker.parts.executor, over ? refuse(std::move(socket)) : serve(worker, std::move(socket)),
                     asio::detached);
    }
  }

  asio::awaitable<HttpResponse> answer(Worker& worker, const http::request<http::string_body>& message,
                                       std::optional<Ipv4> peer) {
    auto request = decode_request(message);
    if (!request) co_return error_response(request.error());
    request->peer = peer;
    if (Status allowed = check_browser_site(*request); !allowed) co_return error_response(allowed.error());
    if (Status allowed = check_token(*request, options.token, options.open_metrics); !allowed) {
      co_return error_response(allowed.error());
    }
    try {
      co_return co_await worker.parts.handler->handle(*request);
    } catch (const std::exception& e) {
      spdlog::error("{} {} failed: {}", request->method, request->target, e.what());
      co_return error_response(internal("internal_error", e.what()));
    }
  }

  // Says why before closing, so that a client over the limit sees a reason, not a reset.
  template <typename Socket>
  asio::awaitable<void> refuse(Socket socket) {
    auto self = shared_from_this();
    ++open_sessions;
    if (refused++ % 1000 == 0) {
      spdlog::warn("{} connections open, the limit: refusing more ({} refused so far)", options.max_connections,
                   refused.load());
    }
    beast::basic_stream<typename Socket::protocol_type> stream(std::move(socket));
    stream.expires_after(std::chrono::seconds(1));
    auto response = encode_response(
        error_response(unavailable("too_many_connections",
                                   "this server already serves " + std::to_string(options.max_connections) +
                                       " connections; try again later or another replica")),
        11, false);
    co_await http::async_write(stream, response, kNoThrow);
    beast::error_code ignored;
    stream.socket().shutdown(asio::socket_base::shutdown_both, ignored);
    --open_sessions;
  }

  template <typename Socket>
  asio::awaitable<void> serve(Worker& worker, Socket socket) {
    auto self = shared_from_this();
    beast::basic_stream<typename Socket::protocol_type> stream(std::move(socket));
    Session session{false, [&stream] { stream.socket().cancel(); }};
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
        response = co_await answer(worker, message, peer_of(stream.socket()));
        spdlog::debug("{} {} -> {} in {} us", std::string(message.method_string()), std::string(message.target()),
                      response.status,
                      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started)
                          .count());
      }
      auto encoded = encode_response(response, version, keep_alive && !stopping);
      stream.expires_after(options.io_timeout);
      auto [write_ec, written] = co_await http::async_write(stream, encoded, kNoThrow);
      session.busy = false;
      if (write_ec) break;
    }
    beast::error_code ignored;
    stream.socket().shutdown(asio::socket_base::shutdown_send, ignored);
    worker.sessions.erase(registered);
    --open_sessions;
  }

  void begin_shutdown(std::function<void()> stopped) {
    if (stopping.exchange(true)) return;
    spdlog::info("shutting down: no new connections, finishing requests in flight");
    beast::error_code ignored;
    for (auto& acceptor : tcp_acceptors) acceptor->close(ignored);
    // A socket file nobody answers on stalls its clients (Docker waits 15 s on a dead plugin's).
    for (auto& acceptor : unix_acceptors) {
      std::string path = acceptor->local_endpoint(ignored).path();
      acceptor->close(ignored);
      if (!path.empty()) ::unlink(path.c_str());
    }
    for (auto& worker : workers) {
      asio::post(worker.parts.executor, [w = &worker] {
        for (Session* session : w->sessions) {
          if (!session->busy) session->cancel();
        }
      });
    }
    asio::co_spawn(main_executor(), drain_then(std::move(stopped)), asio::detached);
  }

  asio::awaitable<void> drain_then(std::function<void()> stopped) {
    auto self = shared_from_this();
    asio::steady_timer timer(main_executor());
    auto deadline = std::chrono::steady_clock::now() + options.shutdown_grace;
    while (open_sessions > 0 && std::chrono::steady_clock::now() < deadline) {
      timer.expires_after(std::chrono::milliseconds(20));
      co_await timer.async_wait(kNoThrow);
    }
    if (open_sessions > 0) spdlog::warn("{} connections still open after the grace period", open_sessions.load());
    if (stopped) stopped();
  }
};

HttpServer::HttpServer(HttpServerOptions options, std::vector<HttpWorker> workers)
    : impl_(std::make_shared<Impl>()) {
  impl_->options = std::move(options);
  for (auto& worker : workers) impl_->workers.push_back({worker, {}});
}

HttpServer::~HttpServer() = default;

Status HttpServer::listen_tcp(const std::string& address, uint16_t port) {
  beast::error_code ec;
  auto ip = asio::ip::make_address(address, ec);
  if (ec) return bad_input("invalid_listen", "'" + address + "' is not an IP address");
  tcp::endpoint endpoint(ip, port);
  auto acceptor = std::make_unique<tcp::acceptor>(impl_->main_executor());
  acceptor->open(endpoint.protocol(), ec);
  if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor->bind(endpoint, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return unavailable("listen_failed",
                       "cannot listen on " + address + ":" + std::to_string(port) + ": " + ec.message());
  }
  impl_->tcp_acceptors.push_back(std::move(acceptor));
  impl_->fit_limit();
  return Ok{};
}

Status HttpServer::listen_unix(const std::string& path) {
  auto fail = [&](const std::string& why) { return unavailable("listen_failed", "cannot listen on " + path + ": " + why); };
  if (path.empty() || path.size() >= sizeof(sockaddr_un::sun_path)) return fail("not a usable socket path");
  struct stat existing {};
  if (lstat(path.c_str(), &existing) == 0) {
    if (!S_ISSOCK(existing.st_mode)) return fail("a file that is not a socket is in the way");
    unix_socket::socket probe(impl_->main_executor());
    beast::error_code in_use;
    probe.connect(unix_socket::endpoint(path), in_use);
    if (!in_use) return fail("another process answers on it");
    ::unlink(path.c_str());  // left by a process that is gone
  }
  beast::error_code ec;
  auto acceptor = std::make_unique<unix_socket::acceptor>(impl_->main_executor());
  acceptor->open(unix_socket(), ec);
  if (!ec) acceptor->bind(unix_socket::endpoint(path), ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail(ec.message());
  impl_->unix_acceptors.push_back(std::move(acceptor));
  impl_->fit_limit();
  return Ok{};
}

uint16_t HttpServer::tcp_port() const {
  if (impl_->tcp_acceptors.empty()) return 0;
  beast::error_code ec;
  auto endpoint = impl_->tcp_acceptors.front()->local_endpoint(ec);
  return ec ? 0 : endpoint.port();
}

void HttpServer::start() {
  for (auto& acceptor : impl_->tcp_acceptors) {
    asio::co_spawn(impl_->main_executor(), impl_->accept_loop(*acceptor), asio::detached);
    spdlog::info("listening on {}:{}", acceptor->local_endpoint().address().to_string(),
                 acceptor->local_endpoint().port());
  }
  for (auto& acceptor : impl_->unix_acceptors) {
    asio::co_spawn(impl_->main_executor(), impl_->accept_loop(*acceptor), asio::detached);
    spdlog::info("listening on {}", acceptor->local_endpoint().path());
  }
}

void HttpServer::shutdown(std::function<void()> stopped) {
  asio::post(impl_->main_executor(), [impl = impl_, stopped = std::move(stopped)]() mutable {
    impl->begin_shutdown(std::move(stopped));
  });
}

void serve_until_signalled(HttpServer& server, const std::vector<asio::io_context*>& io_contexts,
                           std::function<void()> closing) {
  asio::io_context& main = *io_contexts.front();
  asio::signal_set signals(main, SIGTERM, SIGINT);
  auto stop_all = [&io_contexts] {
    for (auto* io : io_contexts) io->stop();
  };
  signals.async_wait([&](const beast::error_code& ec, int signal) {
    if (ec) return;
    spdlog::info("received signal {}", signal);
    if (closing) closing();
    server.shutdown(stop_all);
  });
  server.start();
  // Workers with nothing to do yet must not return from run() before the signal.
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> busy;
  for (auto* io : io_contexts) busy.push_back(asio::make_work_guard(*io));
  std::vector<std::thread> threads;
  for (size_t i = 1; i < io_contexts.size(); ++i) threads.emplace_back([io = io_contexts[i]] { io->run(); });
  main.run();
  for (auto& thread : threads) thread.join();
  spdlog::info("stopped");
}

}  // namespace vx
