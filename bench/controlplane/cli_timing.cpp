#include "cli_timing.h"

#include <stdexcept>

#include "child_process.h"
#include "cluster.h"
#include "tasks.h"

namespace cpbench {

namespace asio = boost::asio;

namespace {

// Coroutines of their own, not lambdas: a coroutine's frame holds copies of its arguments, while a
// lambda's captures would live in the Command, which the caller could move meanwhile.
asio::awaitable<std::string> run_vxctl(std::vector<std::string> argv, std::string name) {
  Finished finished = co_await run_program(argv);
  if (finished.status != 0) {
    throw std::runtime_error("`" + name + "` exited with status " + std::to_string(finished.status) +
                             " (what it said is above)");
  }
  co_return std::move(finished.out);
}

asio::awaitable<std::string> get_body(HttpConnection& connection, std::string target) {
  Answer answer = co_await send_expecting_success(connection, "GET", target, "", kRequestTimeout);
  co_return std::move(answer.body);
}

// vxctl's deadline of each call is ours: a vxctl that gets no answer fails rather than hangs.
Timed vxctl_command(const std::string& vxctl, uint16_t port, const std::vector<std::string>& args) {
  std::string name = "vxctl";
  for (const auto& arg : args) name += " " + arg;
  std::vector<std::string> argv{vxctl, "--ipam", "http://127.0.0.1:" + std::to_string(port), "--timeout-ms",
                                std::to_string(std::chrono::milliseconds(kRequestTimeout).count())};
  argv.insert(argv.end(), args.begin(), args.end());
  return {name, [argv, name] { return run_vxctl(argv, name); }};
}

Timed get_command(HttpConnection& connection, const std::string& target) {
  return {"GET " + target, [&connection, target] { return get_body(connection, target); }};
}

}  // namespace

VxctlRuns vxctl_runs(const std::string& vxctl, uint16_t port, HttpConnection& connection,
                     const std::string& registered) {
  return {vxctl_command(vxctl, port, {"hosts"}),
          vxctl_command(vxctl, port, {"--json", "hosts"}),
          vxctl_command(vxctl, port, {"stats"}),
          vxctl_command(vxctl, port, {"check", registered}),
          get_command(connection, "/hosts"),
          get_command(connection, "/stats"),
          get_command(connection, "/health")};
}

// Round 0 is not timed: the first vxctl reads its binary and libraries from disk, and only the
// command that happens to run first would pay for that.
asio::awaitable<void> time_in_turns(std::vector<Timed*> commands, size_t runs) {
  for (size_t round = 0; round <= runs; ++round) {
    for (Timed* timed : commands) {
      auto started = Clock::now();
      std::string out = co_await timed->command();
      if (round > 0) timed->ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - started).count());
      timed->out = std::move(out);
    }
  }
}

}  // namespace cpbench
