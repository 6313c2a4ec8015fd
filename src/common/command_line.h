// How every daemon's command line ends: CLI11 parses it (--help prints and exits 0, a malformed
// line prints the usage and exits non-zero), then `validate` turns the flags into the daemon's
// configuration; a configuration error is one line on stderr, "PROGRAM: why", and exit status 2.
// Header-only so that only the binaries that use it link CLI11.
#pragma once

#include <CLI/CLI.hpp>
#include <iostream>
#include <variant>

#include "common/error.h"

namespace vx {

// The status the process should exit with instead of running.
struct ExitCode {
  int code;
};

template <typename Config, typename Validate>
std::variant<Config, ExitCode> parse_command_line(CLI::App& app, int argc, char** argv, const char* program,
                                                  Validate validate) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return ExitCode{app.exit(e)};
  }
  Result<Config> config = validate();
  if (!config) {
    std::cerr << program << ": " << config.error().detail << "\n";
    return ExitCode{2};
  }
  return std::move(*config);
}

}  // namespace vx
