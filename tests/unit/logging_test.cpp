// The daemons' log lines (common/logging.h): with --log-format json every line is one JSON object
// that parses, whatever bytes the message held; an unknown format or level is refused.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <sstream>

#include "common/logging.h"

namespace vx {
namespace {

namespace json = boost::json;

TEST(LoggingTest, JsonLinesParseWhateverTheMessageHeld) {
  auto before = spdlog::default_logger();
  testing::internal::CaptureStderr();
  ASSERT_TRUE(setup_logging("vx-json-test", "info", "json").ok());
  spdlog::info("a \"quoted\" name\twith a tab, a newline\nand a bad byte \xff");
  spdlog::debug("below the level");
  spdlog::warn("second");
  spdlog::default_logger()->flush();
  std::string out = testing::internal::GetCapturedStderr();
  spdlog::set_default_logger(before);
  spdlog::drop("vx-json-test");

  std::istringstream lines(out);
  std::vector<json::object> parsed;
  for (std::string line; std::getline(lines, line);) {
    json::value value;
    ASSERT_NO_THROW(value = json::parse(line)) << line;
    parsed.push_back(value.as_object());
  }
  ASSERT_EQ(parsed.size(), 2u) << out;
  EXPECT_EQ(parsed[0].at("daemon"), "vx-json-test");
  EXPECT_EQ(parsed[0].at("level"), "info");
  EXPECT_EQ(parsed[0].at("msg"), "a \"quoted\" name\twith a tab, a newline\nand a bad byte \xef\xbf\xbd");
  EXPECT_TRUE(parsed[0].at("time").as_string().starts_with("20"));
  EXPECT_EQ(parsed[1].at("level"), "warning");
}

TEST(LoggingTest, UnknownFormatsAndLevelsAreRefused) {
  Status format = setup_logging("vx-bad-format", "info", "yaml");
  ASSERT_FALSE(format.ok());
  EXPECT_EQ(format.error().code, "invalid_log_format");
  Status level = setup_logging("vx-bad-level", "loud", "json");
  ASSERT_FALSE(level.ok());
  EXPECT_EQ(level.error().code, "invalid_log_level");
}

}  // namespace
}  // namespace vx
