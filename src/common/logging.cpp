#include "common/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

#include "common/utf8.h"

namespace vx {

namespace {

// The message as a JSON string, quotes included.
class JsonMessage final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    std::string text = boost::json::serialize(
        boost::json::string(valid_utf8(std::string_view(msg.payload.data(), msg.payload.size()))));
    dest.append(text.data(), text.data() + text.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<JsonMessage>(); }
};

std::unique_ptr<spdlog::formatter> formatter_of(const std::string& format) {
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  if (format == "json") {
    formatter->add_flag<JsonMessage>('*').set_pattern(
        R"({"time":"%Y-%m-%dT%H:%M:%S.%e%z","daemon":"%n","level":"%l","msg":%*})");
  } else {
    formatter->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %n %^%l%$ %v");
  }
  return formatter;
}

}  // namespace

Status setup_logging(const std::string& name, const std::string& level, const std::string& format) {
  auto parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off") {
    return bad_input("invalid_log_level", "log level '" + level + "' is not one of " + kLogLevels);
  }
  if (format != "text" && format != "json") {
    return bad_input("invalid_log_format", "log format '" + format + "' is not one of " + kLogFormats);
  }
  auto logger = spdlog::stderr_logger_mt(name);
  logger->set_formatter(formatter_of(format));
  logger->set_level(parsed);
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
  return Ok{};
}

}  // namespace vx
