// One way for every binary to set up its log: spdlog to stderr with a level chosen by name, as
// plain text lines (the default) or as JSON lines for log shippers: one object per line,
// {"time", "daemon", "level", "msg"}, the message escaped and made valid UTF-8, so that any line
// parses whatever the message held.
#pragma once

#include <string>

#include "common/error.h"

namespace vx {

inline const char* kLogLevels = "trace, debug, info, warn, error, critical, off";
inline const char* kLogFormats = "text, json";

// Sets the default logger's level and format ("text" or "json"), with `name` in each line.
Status setup_logging(const std::string& name, const std::string& level, const std::string& format = "text");

}  // namespace vx
