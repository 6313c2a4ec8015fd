// vxlan-cni: the cluster's CNI plugin (plugin.h). A runtime runs it with CNI_* set and the network
// configuration on stdin; it prints the result or the error on stdout.
#include <unistd.h>

#include <iostream>
#include <iterator>
#include <map>
#include <string>

#include "cni/http_agent.h"
#include "cni/plugin.h"

extern char** environ;

int main() {
  std::map<std::string, std::string> environment;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    std::string pair(*entry);
    auto equals = pair.find('=');
    if (equals != std::string::npos) environment[pair.substr(0, equals)] = pair.substr(equals + 1);
  }
  // VERSION may come with nothing on stdin, and a terminal is no configuration.
  std::string config;
  if (!::isatty(STDIN_FILENO)) config.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  vx::cni::Outcome outcome = vx::cni::run(environment, config, vx::cni::connect_http);
  std::cout << outcome.out << std::flush;
  return outcome.exit_code;
}
