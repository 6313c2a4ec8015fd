#include "vxctl/exit_status.h"

namespace vx::ctl {

int exit_status_of(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kBadInput: return kExitUsage;
    case ErrorKind::kNotFound: return kExitNotFound;
    case ErrorKind::kConflict: return kExitConflict;
    case ErrorKind::kUnavailable: return kExitUnavailable;
    case ErrorKind::kUnauthorized:
    case ErrorKind::kForbidden: return kExitUnauthorized;
    case ErrorKind::kMethod:
    case ErrorKind::kTooLarge:
    case ErrorKind::kInternal: return kExitFailed;
  }
  return kExitFailed;
}

}  // namespace vx::ctl
