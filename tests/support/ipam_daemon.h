// A real vxlan-ipam process for a test, on a free port, and a blocking JSON client for its API.
#pragma once

#include <boost/json/value.hpp>
#include <memory>
#include <string>
#include <vector>

#include "support/process.h"

namespace vx::test {

struct JsonResponse {
  int status = 0;  // 0: no answer
  boost::json::value body;
  std::string raw;
};

// A JSON string's text, or any other value serialised: for comparing with std::string.
std::string text(const boost::json::value& value);

// One request to 127.0.0.1:port with a 5 s deadline.
JsonResponse http_json(uint16_t port, const std::string& method, const std::string& target,
                       const std::string& body = "", const std::string& token = "");

// Stopping it (the destructor) fails the test if the daemon's log shows a sanitizer report.
class IpamDaemon {
 public:
  // Starts vxlan-ipam against `redis_url` with `extra` flags, and waits until it answers /health
  // (with any status).
  IpamDaemon(const std::string& redis_url, std::vector<std::string> extra = {});
  ~IpamDaemon();

  uint16_t port() const { return port_; }
  Process& process() { return *process_; }
  JsonResponse get(const std::string& target) const { return http_json(port_, "GET", target); }
  JsonResponse post(const std::string& target, const std::string& body) const {
    return http_json(port_, "POST", target, body);
  }
  JsonResponse allocate(const std::string& name, const std::string& host) const;
  // Without a host, the seed's form: refused (409 host_alive) while the name's host is alive.
  JsonResponse release(const std::string& name, const std::string& host = {}) const;

 private:
  TempDir dir_;
  uint16_t port_;
  std::unique_ptr<Process> process_;
};

// The path of the built vxlan-ipam binary.
std::string ipam_binary();

}  // namespace vx::test
