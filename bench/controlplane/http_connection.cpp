#include "http_connection.h"
#include "common/no_throw.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace cpbench {

namespace asio = boost::asio;
using vx::kNoThrow;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
// A full snapshot of a large registry is several MB; a change-feed answer holds at most 10,000 changes.
constexpr uint64_t kBodyLimit = 256ull * 1024 * 1024;
// The IPAM closes a connection idle for 60 s. Reopening one idle for half that never races the
// close, which would fail a request the server never saw.
constexpr std::chrono::seconds kMaxIdle{30};

namespace {

void expect_success(const Answer& answer, std::string_view method, std::string_view target) {
  if (answer.status >= 200 && answer.status < 300) return;
  throw RequestFailed(std::string(method) + " " + std::string(target) + " answered " + std::to_string(answer.status) +
                      ": " + answer.body.substr(0, 300));
}

}  // namespace

struct HttpConnection::Impl {
  Impl(asio::any_io_executor executor, uint16_t port)
      : stream(executor), endpoint(asio::ip::address_v4::loopback(), port), host("127.0.0.1:" + std::to_string(port)) {}

  beast::tcp_stream stream;
  beast::flat_buffer buffer;
  tcp::endpoint endpoint;
  std::string host;
  bool open = false;
  std::chrono::steady_clock::time_point last_answer;

  void close() {
    beast::error_code ignored;
    stream.socket().close(ignored);
    buffer.clear();
    open = false;
  }
};

HttpConnection::HttpConnection(asio::any_io_executor executor, uint16_t port)
    : impl_(std::make_unique<Impl>(std::move(executor), port)) {}
HttpConnection::~HttpConnection() = default;

asio::awaitable<Answer> HttpConnection::send(std::string_view method, std::string target, std::string body,
                                             std::chrono::milliseconds timeout) {
  Impl& self = *impl_;
  auto fail = [&](std::string_view step, const beast::error_code& ec) {
    self.close();
    return RequestFailed(std::string(method) + " " + target + ": " + std::string(step) + " failed: " + ec.message());
  };
  if (self.open && std::chrono::steady_clock::now() - self.last_answer > kMaxIdle) self.close();
  self.stream.expires_after(timeout);
  if (!self.open) {
    auto [connect_ec] = co_await self.stream.async_connect(self.endpoint, kNoThrow);
    if (connect_ec) throw fail("connect", connect_ec);
    self.stream.socket().set_option(tcp::no_delay(true));
    self.open = true;
  }

  http::request<http::string_body> request{http::string_to_verb(method), target, 11};
  request.set(http::field::host, self.host);
  if (!body.empty()) request.set(http::field::content_type, "application/json");
  request.body() = std::move(body);
  request.keep_alive(true);
  request.prepare_payload();
  auto [write_ec, written] = co_await http::async_write(self.stream, request, kNoThrow);
  if (write_ec) throw fail("write", write_ec);

  http::response_parser<http::string_body> parser;
  parser.body_limit(kBodyLimit);
  auto [read_ec, read] = co_await http::async_read(self.stream, self.buffer, parser, kNoThrow);
  if (read_ec) throw fail("read", read_ec);
  self.last_answer = std::chrono::steady_clock::now();
  auto& message = parser.get();
  // The server closes after answering when it shuts down or refuses the connection: reopen next time.
  if (!message.keep_alive()) self.close();
  co_return Answer{static_cast<int>(message.result_int()), std::move(message.body()), read};
}

asio::awaitable<Answer> send_expecting_success(HttpConnection& connection, std::string_view method, std::string target,
                                               std::string body, std::chrono::milliseconds timeout) {
  Answer answer = co_await connection.send(method, target, std::move(body), timeout);
  expect_success(answer, method, target);
  co_return answer;
}

}  // namespace cpbench
