// Raw TCP connections to a daemon for the tests whose clients misbehave on purpose: requests
// sent by hand, connections dropped with a RST, one HTTP response read with a deadline, and a
// process's count of open files.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>

namespace vx::test {

// A connected socket to 127.0.0.1:port, or -1.
int connect_raw(uint16_t port);
bool send_all(int fd, const std::string& data);
// Closes with a RST, as a process that dies does to its connections.
void close_abruptly(int fd);
bool readable(int fd, std::chrono::milliseconds timeout);

struct RawResponse {
  int status = 0;  // 0: closed or timed out without a whole answer
  std::string body;
  std::string raw;
};

// Reads one HTTP response (Content-Length or up to the close) within `timeout`.
RawResponse read_response(int fd, std::chrono::milliseconds timeout);

// A keep-alive GET of `target`, as bytes to send.
std::string get_request(const std::string& target);

// How many files `pid` has open.
size_t open_fds(pid_t pid);

}  // namespace vx::test
