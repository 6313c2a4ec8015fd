// The HTTP client against the repo's own server, on a unix socket as on TCP: the request arrives
// whole (method, target, body, token), any status comes back as an answer, and every failure is
// "unreachable" naming the socket and the step.
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/local/stream_protocol.hpp>
#include <filesystem>

#include "common/http_client.h"
#include "common/http_server.h"
#include "served.h"

namespace vx {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Answers with the request it saw, with the status the last path segment names ("/echo/404").
struct Echo : RequestHandler {
  asio::awaitable<HttpResponse> handle(const HttpRequest& request) override {
    HttpResponse response;
    response.status = std::stoi(request.segments.back());
    response.body = request.method + " " + request.target + " " + request.body;
    response.content_type = "text/plain";
    co_return response;
  }
};

// A socket path of this process's own, removed at the end.
class TempSocket {
 public:
  explicit TempSocket(const char* name)
      : path_(std::filesystem::temp_directory_path() /
              (std::string("vx-client-") + name + "-" + std::to_string(getpid()))) {
    std::filesystem::remove(path_);
  }
  ~TempSocket() { std::filesystem::remove(path_); }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

HttpCall post(std::string target, std::string body) {
  HttpCall call;
  call.method = "POST";
  call.target = std::move(target);
  call.body = std::move(body);
  return call;
}

TEST(HttpClient, CallsAServerOnAUnixSocket) {
  TempSocket socket("serve");
  HttpServerOptions options;
  options.token = "sesame";
  Served<Echo> served(options);
  ASSERT_TRUE(served.server().listen_unix(socket.path()).ok());
  served.start();
  auto call = post("/echo/201", R"({"a":1})");
  call.token = "sesame";
  auto response = http_call_blocking(HttpEndpoint::unix_socket(socket.path()), call);
  ASSERT_TRUE(response) << response.error().detail;
  EXPECT_EQ(response->status, 201);
  EXPECT_EQ(response->body, R"(POST /echo/201 {"a":1})");
  EXPECT_EQ(response->content_type, "text/plain");

  call.token = "";
  auto refused = http_call_blocking(HttpEndpoint::unix_socket(socket.path()), call);
  ASSERT_TRUE(refused) << refused.error().detail;
  EXPECT_EQ(refused->status, 401);
}

// Answers 200 to anything.
struct Scraped : RequestHandler {
  asio::awaitable<HttpResponse> handle(const HttpRequest&) override { co_return HttpResponse{}; }
};

// --metrics-open: GET /metrics alone is served without the token.
TEST(HttpClient, AnOpenMetricsEndpointNeedsNoTokenAndNothingElseOpens) {
  for (bool open : {false, true}) {
    TempSocket socket(open ? "open" : "closed");
    HttpServerOptions options;
    options.token = "sesame";
    options.open_metrics = open;
    Served<Scraped> served(options);
    ASSERT_TRUE(served.server().listen_unix(socket.path()).ok());
    served.start();
    HttpCall scrape;
    scrape.target = "/metrics";
    auto scraped = http_call_blocking(HttpEndpoint::unix_socket(socket.path()), scrape);
    ASSERT_TRUE(scraped) << scraped.error().detail;
    EXPECT_EQ(scraped->status, open ? 200 : 401) << "open: " << open;
    for (const char* target : {"/metrics/x", "/containers"}) {
      HttpCall other;
      other.target = target;
      auto refused = http_call_blocking(HttpEndpoint::unix_socket(socket.path()), other);
      ASSERT_TRUE(refused) << refused.error().detail;
      EXPECT_EQ(refused->status, 401) << target;
    }
    auto posted = http_call_blocking(HttpEndpoint::unix_socket(socket.path()), post("/metrics", ""));
    ASSERT_TRUE(posted) << posted.error().detail;
    EXPECT_EQ(posted->status, 401) << "only GET";
  }
}

TEST(HttpClient, AnErrorStatusIsAnAnswer) {
  TempSocket socket("status");
  Served<Echo> served;
  ASSERT_TRUE(served.server().listen_unix(socket.path()).ok());
  ASSERT_TRUE(served.server().listen_tcp("127.0.0.1", 0).ok());
  served.start();
  const HttpEndpoint endpoints[] = {HttpEndpoint::unix_socket(socket.path()),
                                    HttpEndpoint{"127.0.0.1", served.server().tcp_port()}};
  for (const HttpEndpoint& endpoint : endpoints) {
    auto response = http_call_blocking(endpoint, post("/echo/404", ""));
    ASSERT_TRUE(response) << endpoint.to_string() << ": " << response.error().detail;
    EXPECT_EQ(response->status, 404) << endpoint.to_string();
    EXPECT_EQ(response->body, "POST /echo/404 ") << endpoint.to_string();
  }
}

TEST(HttpClient, AnAnswerOverTheBodyLimitIsAFailedRead) {
  TempSocket socket("limit");
  Served<Echo> served;
  ASSERT_TRUE(served.server().listen_unix(socket.path()).ok());
  served.start();
  auto call = post("/echo/200", std::string(100, 'x'));
  call.body_limit = 50;
  auto response = http_call_blocking(HttpEndpoint::unix_socket(socket.path()), call);
  ASSERT_FALSE(response) << "HTTP " << response->status;
  EXPECT_EQ(response.error().kind, ErrorKind::kUnavailable);
  EXPECT_NE(response.error().detail.find(": read failed: "), std::string::npos) << response.error().detail;
}

TEST(HttpClient, AMissingSocketIsUnreachableAtOnce) {
  TempSocket socket("missing");
  auto started = Clock::now();
  auto response = http_call_blocking(HttpEndpoint::unix_socket(socket.path()), post("/echo/200", ""));
  ASSERT_FALSE(response) << "HTTP " << response->status;
  EXPECT_LT(Clock::now() - started, 100ms);
  EXPECT_EQ(response.error().kind, ErrorKind::kUnavailable);
  EXPECT_EQ(response.error().code, "unreachable");
  EXPECT_NE(response.error().detail.find("POST /echo/200 on unix://" + socket.path() + ": connect failed: "),
            std::string::npos)
      << response.error().detail;
}

TEST(HttpClient, ASocketPathTooLongToConnectToIsUnreachable) {
  auto endpoint = HttpEndpoint::unix_socket("/tmp/" + std::string(kMaxUnixSocketPath, 'a'));
  auto response = http_call_blocking(endpoint, HttpCall{});
  ASSERT_FALSE(response) << "HTTP " << response->status;
  EXPECT_EQ(response.error().code, "unreachable");
  EXPECT_NE(response.error().detail.find("connect failed"), std::string::npos) << response.error().detail;
}

TEST(HttpClient, AServerThatNeverAnswersFailsAtTheDeadline) {
  TempSocket socket("silent");
  asio::io_context io;
  // The kernel completes connections to a listening socket on its own; nobody ever reads.
  asio::local::stream_protocol::acceptor silent(io, asio::local::stream_protocol::endpoint(socket.path()));
  HttpCall call;
  call.timeout = 200ms;
  auto started = Clock::now();
  auto response = http_call_blocking(HttpEndpoint::unix_socket(socket.path()), call);
  auto waited = Clock::now() - started;
  ASSERT_FALSE(response) << "HTTP " << response->status;
  EXPECT_NE(response.error().detail.find("GET / on unix://" + socket.path() + ": read failed"), std::string::npos)
      << response.error().detail;
  EXPECT_GE(waited, 200ms);
  EXPECT_LT(waited, 1s);
}

}  // namespace
}  // namespace vx
