// vxctl's exit statuses: one per kind of failure, so that a script can tell "no such container"
// from "the IPAM is down" without reading the message.
#pragma once

#include "common/error.h"

namespace vx::ctl {

inline constexpr int kExitOk = 0;
inline constexpr int kExitNo = 1;           // the command ran and the answer is no (ping: unreachable)
inline constexpr int kExitUsage = 2;        // bad arguments or input
inline constexpr int kExitNotFound = 3;     // no such container or host
inline constexpr int kExitConflict = 4;     // the name is taken, or an operation on it is in flight
inline constexpr int kExitUnavailable = 5;  // the IPAM, an agent or Docker does not answer
inline constexpr int kExitUnauthorized = 6; // the cluster wants a token (--token-file, VXLAN_TOKEN), or
                                            // refuses this caller whatever it sends
inline constexpr int kExitFailed = 7;       // anything else the daemons refused

int exit_status_of(ErrorKind kind);

inline constexpr const char* kExitStatusHelp =
    "Exit status: 0 ok, 1 ping found no answer, 2 bad usage or input, 3 not found, 4 conflict,\n"
    "5 the IPAM or an agent does not answer, 6 unauthorized, 7 other failure.";

}  // namespace vx::ctl
