// One keep-alive HTTP/1.1 connection to the IPAM on 127.0.0.1. Each request has a deadline that
// covers connecting (when the connection is not open yet), writing and reading the answer. A
// transport failure or a timeout throws RequestFailed; any HTTP status is an answer.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace cpbench {

struct RequestFailed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Answer {
  int status = 0;
  std::string body;
  size_t bytes = 0;  // as received: status line, headers and body
};

class HttpConnection {
 public:
  HttpConnection(boost::asio::any_io_executor executor, uint16_t port);
  ~HttpConnection();

  boost::asio::awaitable<Answer> send(std::string_view method, std::string target, std::string body,
                                      std::chrono::milliseconds timeout);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// send(), and any answer but a 2xx throws RequestFailed: the common case, where an error means the run broke.
boost::asio::awaitable<Answer> send_expecting_success(HttpConnection& connection, std::string_view method,
                                                      std::string target, std::string body,
                                                      std::chrono::milliseconds timeout);

}  // namespace cpbench
