// How every daemon starts: CLI11 parses its command line (--help prints and exits 0, a malformed
// line prints the usage and exits non-zero), `validate` turns the flags into the daemon's
// configuration, and the log is set up at the configuration's log_level and log_format with
// PROGRAM in each line. A configuration error is one line on stderr, "PROGRAM: why", and exit status 2.
// Header-only so that only the binaries that use it link CLI11.
#pragma once

#include <CLI/CLI.hpp>
#include <iostream>
#include <variant>

#include "common/error.h"
#include "common/logging.h"

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
  auto fail = [program](const Error& error) {
    std::cerr << program << ": " << error.detail << "\n";
    return ExitCode{2};
  };
  Result<Config> config = validate();
  if (!config) return fail(config.error());
  if (Status logging = setup_logging(program, config->log_level, config->log_format); !logging) return fail(logging.error());
  return std::move(*config);
}

}  // namespace vx
