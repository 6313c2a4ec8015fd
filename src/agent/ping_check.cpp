#include "agent/ping_check.h"

#include <spdlog/spdlog.h>

namespace vx::agent {

namespace asio = boost::asio;

namespace {

Error not_running(const std::string& name, const std::string& state) {
  return conflict("not_running", "container '" + name + "' is not running (" + state + "): nothing can be sent from it");
}

std::string method_of(const proto::PingRequest& request) {
  return request.port ? "tcp:" + std::to_string(*request.port) : std::string("icmp");
}

}  // namespace

asio::awaitable<Result<PingResult>> PingCheck::run(const std::string& name, const proto::PingRequest& request) {
  auto managed = co_await containers_.get(name);
  if (!managed) co_return managed.error();
  if (managed->status != "running" || managed->pid <= 0) co_return not_running(name, managed->status);
  auto source = Ipv4::parse(managed->ip_address);
  if (!source) {
    co_return unavailable("probe_failed", "container '" + name + "' has no address on the overlay network");
  }
  auto target = co_await resolve(request);
  if (!target) co_return target.error();

  ProbeOptions options{*source, request.count, request.timeout, request.port};
  auto report = co_await prober_.probe(managed->pid, *target, options);
  std::string check = "ping from " + name + " (" + source->to_string() + ") to " + request.target + " (" +
                      target->to_string() + ") by " + method_of(request);
  if (!report) {
    spdlog::info("{}: {}", check, report.error().detail);
    co_return report.error();
  }
  if (auto average = report->average_rtt_ms()) {
    spdlog::info("{}: {}/{} answered, {:.3f} ms on average", check, report->received(), report->sent, *average);
  } else {
    spdlog::info("{}: {}/{} answered", check, report->received(), report->sent);
  }
  co_return PingResult{name, *source, *target, std::move(*report)};
}

asio::awaitable<Result<Ipv4>> PingCheck::resolve(const proto::PingRequest& request) {
  if (request.target_ip) co_return *request.target_ip;
  auto entry = co_await ipam_.container(request.target);
  if (!entry) {
    if (entry.error().kind == ErrorKind::kNotFound) {
      co_return not_found("unknown_target", "no container '" + request.target + "' holds an address in the IPAM");
    }
    co_return entry.error();
  }
  auto address = Ipv4::parse(entry->ip_address);
  if (!address) {
    co_return internal("bad_ipam_answer", "the IPAM holds no valid address for '" + request.target + "'");
  }
  co_return *address;
}

}  // namespace vx::agent
