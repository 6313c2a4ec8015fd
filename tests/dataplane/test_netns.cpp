#include "dataplane/test_netns.h"

#include <gtest/gtest.h>

#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace vx::agent::test {

CommandResult run_command(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  while (size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) result.output.append(buffer, n);
  result.status = pclose(pipe);
  return result;
}

namespace {

// Deletes every PREFIX-PID namespace whose process no longer runs.
void delete_orphans(const std::string& prefix) {
  std::istringstream listing(run_command("ip netns list").output);
  for (std::string name; listing >> name;) {
    if (name.rfind(prefix + "-", 0) != 0) continue;
    pid_t pid = static_cast<pid_t>(std::atol(name.c_str() + prefix.size() + 1));
    if (pid > 0 && kill(pid, 0) != 0 && errno == ESRCH) run_command("ip netns delete " + name);
  }
}

}  // namespace

TestNetns::TestNetns(const std::string& prefix) : name_(prefix + "-" + std::to_string(getpid())) {
  delete_orphans(prefix);
  run_command("ip netns delete " + name_);
  created_ = run_command("ip netns add " + name_).status == 0;
}

TestNetns::~TestNetns() {
  if (created_) run_command("ip netns delete " + name_);
}

CommandResult TestNetns::exec(const std::string& command) const {
  return run_command("ip netns exec " + name_ + " sh -c '" + command + "'");
}

std::string sh(const TestNetns& ns, const std::string& command) {
  auto result = ns.exec(command);
  EXPECT_EQ(result.status, 0) << ns.name() << ": " << command << ": " << result.output;
  return result.output;
}

}  // namespace vx::agent::test
