// CPU time a process has used, from /proc/PID/stat, to tell what an idle cluster costs.
#pragma once

#include <sys/types.h>

namespace cpbench {

// User plus system time, in seconds; throws when the process is gone.
double cpu_seconds(pid_t pid);

}  // namespace cpbench
