#include "support/ipam_daemon.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <stdexcept>

#include "common/http_client.h"

namespace vx::test {

std::string ipam_binary() { return VXLAN_IPAM_BINARY; }

std::string text(const boost::json::value& value) {
  return value.is_string() ? std::string(value.as_string()) : boost::json::serialize(value);
}

JsonResponse http_json(uint16_t port, const std::string& method, const std::string& target,
                       const std::string& body, const std::string& token) {
  auto response = http_call_blocking({"127.0.0.1", port}, {method, target, body, std::chrono::seconds(5), token});
  if (!response) return {};
  boost::system::error_code ec;
  auto parsed = boost::json::parse(response->body, ec);
  return {response->status, ec ? boost::json::value() : parsed, response->body};
}

IpamDaemon::IpamDaemon(const std::string& redis_url, std::vector<std::string> extra) : port_(free_port()) {
  std::vector<std::string> argv{ipam_binary(), "--listen", "127.0.0.1:" + std::to_string(port_),
                                "--redis", redis_url, "--log-level", "debug"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  process_ = std::make_unique<Process>(argv, dir_.path() + "/ipam.log");
  bool up = wait_until([&] { return get("/health").status != 0 || !process_->running(); },
                       std::chrono::seconds(10));
  if (!up || !process_->running()) throw std::runtime_error("vxlan-ipam did not start: " + process_->log());
}

IpamDaemon::~IpamDaemon() {
  process_->stop();
  std::string log = process_->log();
  for (const char* sign : {"Sanitizer", "runtime error:"}) {
    if (log.find(sign) != std::string::npos) ADD_FAILURE() << "vxlan-ipam reported a sanitizer error:\n" << log;
  }
}

JsonResponse IpamDaemon::allocate(const std::string& name, const std::string& host) const {
  return post("/allocate", boost::json::serialize(boost::json::object{{"container_name", name}, {"host_id", host}}));
}

JsonResponse IpamDaemon::release(const std::string& name, const std::string& host) const {
  boost::json::object body{{"container_name", name}};
  if (!host.empty()) body["host_id"] = host;
  return post("/deallocate", boost::json::serialize(body));
}

}  // namespace vx::test
