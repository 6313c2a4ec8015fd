// The raw connections of raw_http.h.
#include "raw_http.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <optional>

namespace vx::test {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using namespace std::chrono_literals;

int connect_raw(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

bool send_all(int fd, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

void close_abruptly(int fd) {
  linger option{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &option, sizeof(option));
  close(fd);
}

bool readable(int fd, milliseconds timeout) {
  pollfd entry{fd, POLLIN, 0};
  return ::poll(&entry, 1, static_cast<int>(timeout.count())) > 0;
}

RawResponse read_response(int fd, milliseconds timeout) {
  RawResponse out;
  auto deadline = Clock::now() + timeout;
  std::string data;
  size_t header_end = std::string::npos;
  std::optional<size_t> length;
  bool closed = false;
  while (true) {
    if (header_end == std::string::npos) {
      header_end = data.find("\r\n\r\n");
      if (header_end != std::string::npos) {
        std::string headers = data.substr(0, header_end);
        std::string lower;
        for (char c : headers) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        auto at = lower.find("content-length:");
        if (at != std::string::npos) length = std::stoul(lower.substr(at + 15));
      }
    }
    if (header_end != std::string::npos && length && data.size() >= header_end + 4 + *length) break;
    if (closed) break;
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    if (left <= 0ms || !readable(fd, left)) break;
    char buffer[4096];
    ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
    if (n <= 0) {
      closed = true;
    } else {
      data.append(buffer, static_cast<size_t>(n));
    }
  }
  out.raw = data;
  if (header_end == std::string::npos || data.compare(0, 9, "HTTP/1.1 ") != 0) return out;
  size_t body_end = length ? std::min(data.size(), header_end + 4 + *length) : data.size();
  if (length && data.size() < header_end + 4 + *length) return out;
  out.status = std::atoi(data.c_str() + 9);
  out.body = data.substr(header_end + 4, body_end - header_end - 4);
  return out;
}

std::string get_request(const std::string& target) {
  return "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n";
}

size_t open_fds(pid_t pid) {
  std::error_code ec;
  size_t count = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++count;
  }
  return count;
}

}  // namespace vx::test
