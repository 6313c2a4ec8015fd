// What the fuzz targets share: invariant checks that abort, so that libFuzzer reports the input
// that broke one, with the invariant's wording on stderr.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "common/error.h"

namespace vx::fuzz {

inline void check(bool holds, const char* invariant) {
  if (holds) return;
  std::fprintf(stderr, "fuzz invariant violated: %s\n", invariant);
  std::abort();
}

// A failure always says what it is: a code for programs and a sentence for people.
template <typename T>
void check_error(const Result<T>& result) {
  if (!result) {
    check(!result.error().code.empty() && !result.error().detail.empty(), "an error has a code and a detail");
  }
}

inline std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace vx::fuzz
