// Another program of the build, run to its end from a coroutine: what an operator's command costs
// is its whole life, from its start to its exit, not only the requests it makes.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <string>
#include <vector>

namespace cpbench {

struct Finished {
  int status = 0;   // the exit status, or 128 + the signal that ended it, as a shell says
  std::string out;  // everything it wrote to its standard output
};

// Runs argv[0] (a path) with this process's environment, its standard error shared with ours so
// that what it complains of is seen. Its standard output is read as it comes, on the caller's
// executor: a child that fills the pipe would wait for us otherwise. Throws when it cannot start.
boost::asio::awaitable<Finished> run_program(const std::vector<std::string>& argv);

// NAME in the directory of this program: the build's bin directory, where bench/controlplane_bench
// found vxlan-ipam and this program. Throws when there is no such executable there.
std::string program_beside_this_one(const std::string& name);

}  // namespace cpbench
