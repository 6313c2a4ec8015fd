// A throw-away network namespace for tests that touch the kernel, named PREFIX-PID. The constructor
// deletes leftovers first (its own name, and any PREFIX-PID whose process is gone: a crashed run),
// then creates it; the destructor deletes it, and the links inside go with it, so a failing test
// leaves nothing behind. The test process itself never leaves the root namespace: code under test
// runs on a short-lived thread that entered the namespace, and shell checks run through
// `ip netns exec`.
#pragma once

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <thread>

#include "common/error.h"
#include "common/ipv4.h"

namespace vx::agent::test {

struct CommandResult {
  int status = -1;     // as std::system / pclose give it; 0 is success
  std::string output;  // stdout and stderr together
};

// Runs a shell command line in the calling process's namespace.
CommandResult run_command(const std::string& command);

class TestNetns;

// The reason of a failed call, for assertion messages.
template <typename R>
std::string why(const R& result) {
  return result ? "" : result.error().code + ": " + result.error().detail;
}

// A literal address of the test's own.
inline Ipv4 ip(const char* text) { return *Ipv4::parse(text); }

// Runs a shell command inside `ns`, which must succeed (the test fails otherwise); its output.
std::string sh(const TestNetns& ns, const std::string& command);

class TestNetns {
 public:
  explicit TestNetns(const std::string& prefix);
  ~TestNetns();
  TestNetns(const TestNetns&) = delete;
  TestNetns& operator=(const TestNetns&) = delete;

  const std::string& name() const { return name_; }
  bool created() const { return created_; }

  // Runs a shell command line (without single quotes) inside the namespace.
  CommandResult exec(const std::string& command) const;

  // Runs `fn` (returning a Result or Status) on a thread of its own that entered the namespace.
  template <typename Fn>
  auto run(Fn fn) const -> decltype(fn()) {
    std::optional<decltype(fn())> out;
    std::thread([&] {
      int fd = open(("/run/netns/" + name_).c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) {
        out.emplace(internal("setns_failed", "entering netns " + name_ + ": " + std::strerror(errno)));
      } else {
        out.emplace(fn());
      }
      if (fd >= 0) close(fd);
    }).join();
    return std::move(*out);
  }

 private:
  std::string name_;
  bool created_ = false;
};

}  // namespace vx::agent::test
