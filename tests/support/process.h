// Child processes for tests: started with an argument vector (no shell), output to a log file,
// stopped by the PID this object recorded and reaped. The destructor kills what is still running,
// so a failing test leaves no daemon behind, and the kernel kills the child when the thread that
// started it dies, so neither does a test that is killed. Start children from the test's main thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace vx::test {

class Process {
 public:
  Process(std::vector<std::string> argv, std::string log_path);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  // SIGTERM, then SIGKILL after `grace`; returns the exit status as waitpid gave it, or -1.
  int stop(std::chrono::milliseconds grace = std::chrono::seconds(10));
  void kill9();
  // Waits for the process to exit by itself; -1 if it is still running after `timeout`.
  int wait_exit(std::chrono::milliseconds timeout);
  std::string log() const;

 private:
  pid_t pid_ = -1;
  std::string log_path_;
};

// A TCP port on 127.0.0.1 that was free a moment ago.
uint16_t free_port();

// Polls `ready` every 20 ms until it returns true or `timeout` passes.
bool wait_until(const std::function<bool()>& ready, std::chrono::milliseconds timeout);

// A fresh directory under /tmp, removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace vx::test
