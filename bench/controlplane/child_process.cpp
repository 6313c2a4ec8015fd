#include "child_process.h"
#include "common/no_throw.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <filesystem>
#include <stdexcept>
#include <system_error>

extern char** environ;

namespace cpbench {

namespace asio = boost::asio;
using vx::kNoThrow;

namespace {

// Starts argv[0] with `out` as its standard output, and closes `out` here either way: the pipe
// ends (and our read sees EOF) only once the child's copy is the last one.
pid_t spawn_writing_to(const std::vector<std::string>& argv, int out) {
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  int failed = posix_spawn_file_actions_adddup2(&actions, out, STDOUT_FILENO);
  pid_t pid = 0;
  if (failed == 0) failed = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out);
  if (failed != 0) throw std::system_error(failed, std::generic_category(), "cannot start " + argv[0]);
  return pid;
}

// Once its output has ended the child is exiting: this wait is short, and not worth a thread.
int wait_for_exit(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw std::system_error(errno, std::generic_category(), "waitpid");
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

asio::awaitable<Finished> run_program(const std::vector<std::string>& argv) {
  int ends[2];
  // Close-on-exec, so that no child, this one or another, holds a copy of a pipe not its own.
  if (pipe2(ends, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe2");
  asio::posix::stream_descriptor from_child(co_await asio::this_coro::executor, ends[0]);
  pid_t pid = spawn_writing_to(argv, ends[1]);
  Finished finished;
  auto [ec, read] = co_await asio::async_read(from_child, asio::dynamic_buffer(finished.out), kNoThrow);
  finished.status = wait_for_exit(pid);  // reaped even when the read failed
  if (ec && ec != asio::error::eof) throw std::system_error(ec, "reading the output of " + argv[0]);
  co_return finished;
}

std::string program_beside_this_one(const std::string& name) {
  auto path = std::filesystem::read_symlink("/proc/self/exe").parent_path() / name;
  if (access(path.c_str(), X_OK) != 0) {
    throw std::runtime_error("no " + name + " beside this program, at " + path.string() + ": build it too");
  }
  return path.string();
}

}  // namespace cpbench
