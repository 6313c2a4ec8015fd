// One way for every binary to set up its log: spdlog to stderr with a level chosen by name.
#pragma once

#include <string>

#include "common/error.h"

namespace vx {

inline const char* kLogLevels = "trace, debug, info, warn, error, critical, off";

// Sets the default logger's level and format, with `name` in each line.
Status setup_logging(const std::string& name, const std::string& level);

}  // namespace vx
