// The IPAM's command line: the watchers' pace, from its flag or its environment variable.
#include <gtest/gtest.h>

#include <spdlog/spdlog.h>

#include <cstdlib>

#include "ipam/config.h"

namespace vx::ipam {
namespace {

// Each parse that succeeds registers the daemon's logger, which a process may hold only once.
std::variant<IpamConfig, ExitCode> parse(std::vector<std::string> args) {
  spdlog::drop("vxlan-ipam");
  args.insert(args.begin(), "vxlan-ipam");
  args.insert(args.end(), {"--log-level", "off"});
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  return parse_ipam_config(static_cast<int>(argv.size()), argv.data());
}

std::chrono::milliseconds pace_of(std::vector<std::string> args) {
  auto parsed = parse(std::move(args));
  EXPECT_TRUE(std::holds_alternative<IpamConfig>(parsed));
  return std::holds_alternative<IpamConfig>(parsed) ? std::get<IpamConfig>(parsed).watch_pace
                                                    : std::chrono::milliseconds(-1);
}

int exit_code_of(std::vector<std::string> args) {
  auto parsed = parse(std::move(args));
  return std::holds_alternative<ExitCode>(parsed) ? std::get<ExitCode>(parsed).code : -1;
}

TEST(IpamConfig, WatchPaceDefaultsTo50MsAndTakes0To1000) {
  EXPECT_EQ(pace_of({}), std::chrono::milliseconds(50));
  EXPECT_EQ(pace_of({"--watch-pace-ms", "0"}), std::chrono::milliseconds(0));
  EXPECT_EQ(pace_of({"--watch-pace-ms", "1000"}), std::chrono::milliseconds(1000));
  EXPECT_EQ(exit_code_of({"--watch-pace-ms", "1001"}), 2);
  EXPECT_EQ(exit_code_of({"--watch-pace-ms", "-1"}), 2);
}

TEST(IpamConfig, WatchPaceComesFromTheEnvironmentUnlessTheFlagIsGiven) {
  setenv("VXLAN_IPAM_WATCH_PACE_MS", "200", 1);
  EXPECT_EQ(pace_of({}), std::chrono::milliseconds(200));
  EXPECT_EQ(pace_of({"--watch-pace-ms", "100"}), std::chrono::milliseconds(100));
  unsetenv("VXLAN_IPAM_WATCH_PACE_MS");
}

}  // namespace
}  // namespace vx::ipam
