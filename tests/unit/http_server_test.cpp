// The HTTP server on its own: it serves on a unix socket as on TCP, takes over a socket file left
// by a process that is gone but never one in use or a file that is not a socket, and answers a
// connection past its limit with a 503 that says why.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <filesystem>
#include <fstream>

#include "common/http_server.h"
#include "served.h"

namespace vx {
namespace {

namespace asio = boost::asio;
using unix_socket = asio::local::stream_protocol;

struct Hello : RequestHandler {
  asio::awaitable<HttpResponse> handle(const HttpRequest& request) override {
    HttpResponse response;
    std::string peer = request.peer ? request.peer->to_string() : "none";
    response.body = "{\"path\":\"" + request.target + "\",\"peer\":\"" + peer + "\"}";
    co_return response;
  }
};

// Sends one request and reads the answer to the end (the request asks to close).
template <typename Socket>
std::string exchange(Socket& socket, const std::string& path, const std::string& method = "GET",
                     const std::string& headers = "") {
  std::string request = method + " " + path + " HTTP/1.1\r\nHost: x\r\n" + headers + "Connection: close\r\n\r\n";
  asio::write(socket, asio::buffer(request));
  std::string answer;
  boost::system::error_code ec;
  asio::read(socket, asio::dynamic_buffer(answer), ec);
  return answer;
}

std::filesystem::path temp_socket(const char* name) {
  auto path = std::filesystem::temp_directory_path() / (std::string("vx-") + name + "-" + std::to_string(getpid()));
  std::filesystem::remove(path);
  return path;
}

TEST(HttpServer, ServesOnAUnixSocket) {
  auto path = temp_socket("serve");
  Served<Hello> served;
  ASSERT_TRUE(served.server().listen_unix(path).ok());
  served.start();
  asio::io_context io;
  unix_socket::socket client(io);
  client.connect(unix_socket::endpoint(path));
  std::string answer = exchange(client, "/Plugin.Activate");
  EXPECT_NE(answer.find("HTTP/1.1 200"), std::string::npos) << answer;
  EXPECT_NE(answer.find("{\"path\":\"/Plugin.Activate\",\"peer\":\"none\"}"), std::string::npos) << answer;
  std::filesystem::remove(path);
}

// Handlers see who is asking over TCP (the daemons refuse their own overlay's containers).
TEST(HttpServer, HandlersSeeTheTcpPeer) {
  Served<Hello> served;
  ASSERT_TRUE(served.server().listen_tcp("127.0.0.1", 0).ok());
  served.start();
  asio::io_context io;
  asio::ip::tcp::socket client(io);
  client.connect({asio::ip::make_address("127.0.0.1"), served.server().tcp_port()});
  std::string answer = exchange(client, "/who");
  EXPECT_NE(answer.find("{\"path\":\"/who\",\"peer\":\"127.0.0.1\"}"), std::string::npos) << answer;
}

TEST(HttpServer, TakesOverAStaleSocketButNeverOneInUseOrAnotherFile) {
  auto path = temp_socket("stale");
  {
    asio::io_context io;
    unix_socket::acceptor gone(io, unix_socket::endpoint(path));  // bound, then its process "dies"
  }
  ASSERT_TRUE(std::filesystem::exists(path));
  Served<Hello> first;
  ASSERT_TRUE(first.server().listen_unix(path).ok());
  first.start();
  Served<Hello> second;
  auto in_use = second.server().listen_unix(path);
  ASSERT_FALSE(in_use.ok());
  EXPECT_NE(in_use.error().detail.find("another process answers"), std::string::npos) << in_use.error().detail;

  auto file = temp_socket("file");
  std::ofstream(file) << "not a socket";
  Served<Hello> third;
  auto refused = third.server().listen_unix(file);
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(std::filesystem::exists(file));  // left alone
  std::filesystem::remove(file);
  std::filesystem::remove(path);
}

TEST(HttpServer, AConnectionPastTheLimitIsToldWhy) {
  HttpServerOptions options;
  options.max_connections = 2;
  Served<Hello> served(options);
  ASSERT_TRUE(served.server().listen_tcp("127.0.0.1", 0).ok());
  served.start();
  asio::io_context io;
  asio::ip::tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), served.server().tcp_port());
  std::vector<asio::ip::tcp::socket> idle;
  for (int i = 0; i < 2; ++i) idle.emplace_back(io).connect(endpoint);
  // The server counts a connection once it has accepted it: give it a moment.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  asio::ip::tcp::socket extra(io);
  extra.connect(endpoint);
  std::string answer = exchange(extra, "/allocate");
  EXPECT_NE(answer.find("HTTP/1.1 503"), std::string::npos) << answer;
  EXPECT_NE(answer.find("too_many_connections"), std::string::npos) << answer;
  idle.clear();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  asio::ip::tcp::socket again(io);
  again.connect(endpoint);
  EXPECT_NE(exchange(again, "/allocate").find("HTTP/1.1 200"), std::string::npos);
}

// Every daemon serves through it, so every daemon refuses a browser's cross-site request before
// its handler (or a token check) sees it.
TEST(HttpServer, ARequestABrowserSentFromAnotherSiteReachesNoHandler) {
  Served<Hello> served;
  ASSERT_TRUE(served.server().listen_tcp("127.0.0.1", 0).ok());
  served.start();
  asio::io_context io;
  asio::ip::tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), served.server().tcp_port());
  asio::ip::tcp::socket attacked(io);
  attacked.connect(endpoint);
  std::string answer = exchange(attacked, "/release", "POST", "Origin: http://evil.example\r\nSec-Fetch-Site: cross-site\r\n");
  EXPECT_NE(answer.find("HTTP/1.1 403"), std::string::npos) << answer;
  EXPECT_NE(answer.find("\"error\":\"cross_site\""), std::string::npos) << answer;
  EXPECT_EQ(answer.find("\"path\""), std::string::npos) << "the handler answered: " << answer;
  asio::ip::tcp::socket own(io);
  own.connect(endpoint);
  EXPECT_NE(exchange(own, "/release", "POST", "Origin: http://x\r\n").find("HTTP/1.1 200"), std::string::npos);
}

}  // namespace
}  // namespace vx
