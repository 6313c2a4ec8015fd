#include "agent/container_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

namespace vx::agent {

namespace asio = boost::asio;

namespace {

Error unknown_container(const std::string& name) {
  return not_found("unknown_container", "no container '" + name + "' is managed on this host");
}

// A gateway's reservation, or a Docker endpoint's before its container is known, looks like a
// container's to the IPAM; a create of that name would take the address, a remove would free it.
Status refuse_gateway_name(const std::string& name) {
  if (proto::is_gateway_name(name)) {
    return bad_input("reserved_name", "'" + name + "' names a host's gateway address, not a container");
  }
  if (proto::is_docker_endpoint_name(name)) {
    return bad_input("reserved_name", "'" + name + "' names an address Docker asked for, not a container");
  }
  return Ok{};
}

}  // namespace

bool is_managed(const ContainerInfo& info) {
  auto label = info.labels.find(kManagedLabel);
  return label != info.labels.end() && label->second == "true";
}

std::string network_of(const ContainerInfo& info) {
  auto label = info.labels.find(kNetworkLabel);
  return label == info.labels.end() ? std::string(proto::kDefaultNetwork) : label->second;
}

Status validate_image(const std::string& image) {
  bool blank = std::any_of(image.begin(), image.end(), [](unsigned char c) { return std::isspace(c) || c < 32; });
  if (image.empty() || image.size() > 255 || blank) {
    return bad_input("invalid_image", "image '" + image.substr(0, 64) + "' is not an image reference");
  }
  return Ok{};
}

ManagedContainer ContainerService::describe(const ContainerInfo& info) const {
  return {info.id,    info.name,     info.ip_address, info.mac_address, info.image,
          info.state, self_.host_id, info.pid,        network_of(info)};
}

Result<NameClaims::Claim> ContainerService::claim(const std::string& name) {
  if (Status allowed = refuse_gateway_name(name); !allowed) return allowed.error();
  auto claimed = claims_.take({name});
  if (!claimed) return conflict("operation_in_progress", "an operation on '" + name + "' is under way here; try again");
  return std::move(*claimed);
}

Status ContainerService::refuse_attached(const std::string& name, const std::string& code, const std::string& why) {
  if (!attached_) return Ok{};
  auto attached = attached_(name);
  if (!attached) return attached.error();
  if (*attached) return conflict(code, "'" + name + "' is a CNI attachment's on " + self_.host_id + ": " + why);
  return Ok{};
}

asio::awaitable<Result<ManagedContainer>> ContainerService::create(const std::string& name, const std::string& image,
                                                                   const std::string& network) {
  auto claimed = claim(name);
  if (!claimed) co_return claimed.error();
  co_return co_await create_claimed(name, image, network);
}

asio::awaitable<Result<ManagedContainer>> ContainerService::create_claimed(const std::string& name,
                                                                           const std::string& image,
                                                                           const std::string& network) {
  auto carried = co_await networks_.ensure(network);
  if (!carried) co_return carried.error();
  proto::AllocateRequest request{name, self_.host_id, std::nullopt, network};
  auto reservation = co_await ipam_.allocate(request);
  if (!reservation) co_return reservation.error();
  if (!reservation->created) {
    // The name already held an address on this host: a container of that name that exists is
    // a duplicate; one that does not is a create that died half-way, to be finished now.
    auto existing = co_await runtime_.inspect_container(name);
    if (!existing) co_return existing.error();
    if (existing->has_value()) {
      co_return conflict("container_exists", "container '" + name + "' exists already on " + self_.host_id +
                                                 " with address " + reservation->endpoint.ip_address);
    }
    // Nor is it a create that died when an attachment holds it: that pod would share the address.
    if (Status free = refuse_attached(name, "name_conflict", "choose another name"); !free) co_return free.error();
  }
  co_return co_await create_reserved(name, image, reservation->endpoint.ip_address, *carried);
}

asio::awaitable<Result<ManagedContainer>> ContainerService::create_reserved(const std::string& name,
                                                                            const std::string& image,
                                                                            const std::string& ip,
                                                                            const NetworkSetup& network) {
  auto address = Ipv4::parse(ip);
  if (!address) co_return address.error();
  Labels labels{{kManagedLabel, "true"}, {kHostLabel, self_.host_id}};
  if (network.devices.network != proto::kDefaultNetwork) labels[kNetworkLabel] = network.devices.network;
  // The agent answers the cluster's names on each network's gateway (dns/server.h).
  auto gateway = Ipv4::parse(network.gateway);
  if (!gateway) co_return gateway.error();
  ContainerSpec spec{name, image, network.devices.docker_network, *address, labels, {*gateway}};
  auto created = co_await runtime_.create_container(spec);
  if (!created) {
    auto leftover = co_await leftover_of_failed_create(name, created.error());
    if (leftover) co_await undo(name, *leftover);
    co_return created.error();
  }
  if (Status started = co_await runtime_.start_container(created->id); !started) {
    co_await undo(name, created->id);
    co_return started.error();
  }
  auto running = co_await runtime_.inspect_container(created->id);
  if (!running || !running->has_value()) {
    co_await undo(name, created->id);
    co_return running ? unavailable("container_vanished", "container '" + name + "' vanished after start")
                      : running.error();
  }
  ManagedContainer out = describe(**running);
  // Without its MAC in the registry, peers cannot reach the container yet; the reconciler records
  // it later, so the container is not undone for this.
  proto::EndpointRecord record{self_.host_id, out.mac_address};
  if (Status recorded = co_await ipam_.record_endpoint(name, record); !recorded) {
    spdlog::warn("could not record the MAC of {} yet: {}", name, recorded.error().detail);
  }
  spdlog::info("created container {} ({}) from {} at {} on {}", name, out.id.substr(0, 12), image, ip,
               network.devices.network);
  co_return out;
}

// A create that failed for want of an answer (a deadline, say) may still have happened. Answers
// the id of our container to remove ("" when there is none, so only the address goes back), or
// nothing when Docker cannot tell: then the address stays reserved for the reconciler to judge.
// A container of that name without our label is somebody else's and proves ours never existed.
asio::awaitable<std::optional<std::string>> ContainerService::leftover_of_failed_create(
    const std::string& name, const Error& error) {
  if (error.kind != ErrorKind::kUnavailable) co_return std::string();
  auto found = co_await runtime_.inspect_container(name);
  if (!found) {
    spdlog::warn("cannot tell whether {} was created: {}; keeping its address", name, found.error().detail);
    co_return std::nullopt;
  }
  std::string ours = found->has_value() && is_managed(**found) ? (*found)->id : "";
  co_return ours;
}

asio::awaitable<void> ContainerService::undo(const std::string& name, const std::string& container_id) {
  if (!container_id.empty()) {
    Status removed = co_await runtime_.remove_container(container_id);
    if (!removed && removed.error().kind != ErrorKind::kNotFound) {
      // Its address stays reserved: releasing it under a container that may still run would
      // hand the address out twice. The reconciler releases it once the container is gone.
      spdlog::warn("could not remove the failed container {}: {}; keeping its address", name,
                   removed.error().detail);
      co_return;
    }
  }
  if (Status released = co_await ipam_.release(name, self_.host_id); !released) {
    spdlog::warn("could not release the address of {}: {}; the reconciler will", name, released.error().detail);
  }
}

asio::awaitable<Result<std::vector<ManagedContainer>>> ContainerService::list() {
  auto containers = co_await runtime_.list_containers(kManagedLabel, "true");
  if (!containers) co_return containers.error();
  std::vector<ManagedContainer> out;
  for (const auto& info : *containers) out.push_back(describe(info));
  // And those Docker ran on a cluster network by itself (docker_plugin/): registered as well.
  std::map<std::string, NetworkSetup> carried = networks_.all();
  for (const auto& [network, setup] : carried) {
    auto attached = co_await runtime_.list_attached(setup.devices.docker_network);
    if (!attached) co_return attached.error();
    for (const auto& info : *attached) {
      if (is_managed(info)) continue;
      auto attachment = info.networks.find(setup.devices.docker_network);
      if (attachment == info.networks.end()) continue;
      ManagedContainer container = describe(info);
      container.ip_address = attachment->second.ip_address;
      container.mac_address = attachment->second.mac_address;
      container.network = network;
      out.push_back(std::move(container));
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  co_return out;
}

asio::awaitable<Result<ManagedContainer>> ContainerService::get(const std::string& name) {
  auto info = co_await runtime_.inspect_container(name);
  if (!info) co_return info.error();
  if (!info->has_value() || !is_managed(**info)) co_return unknown_container(name);
  co_return describe(**info);
}

asio::awaitable<Result<ManagedContainer>> ContainerService::remove(const std::string& name) {
  auto claimed = claim(name);
  if (!claimed) co_return claimed.error();
  co_return co_await remove_claimed(name);
}

void ContainerService::released_elsewhere(const std::string& name) {
  auto now = std::chrono::steady_clock::now();
  std::erase_if(released_elsewhere_, [now](const auto& entry) { return now - entry.second > std::chrono::minutes(1); });
  released_elsewhere_[name] = now;
}

asio::awaitable<Result<ManagedContainer>> ContainerService::remove_claimed(const std::string& name) {
  auto info = co_await runtime_.inspect_container(name);
  if (!info) co_return info.error();
  ManagedContainer removed{"", name, "", "", "", "removed", self_.host_id};
  if (info->has_value()) {
    if (!is_managed(**info)) {
      co_return conflict("not_managed", "container '" + name + "' on " + self_.host_id +
                                            " was not created by vxlan-agent; remove it with Docker");
    }
    removed = describe(**info);
    if (Status gone = co_await runtime_.remove_container((*info)->id); !gone && gone.error().kind != ErrorKind::kNotFound) {
      co_return gone.error();
    }
  }
  if (!info->has_value()) {
    Status ours = refuse_attached(name, "not_managed", "its runtime removes it (CNI DEL)");
    if (!ours) co_return ours.error();
  }
  Status released = co_await ipam_.release(name, self_.host_id);
  auto elsewhere = released_elsewhere_.find(name);
  bool just_released = elsewhere != released_elsewhere_.end() &&
                       std::chrono::steady_clock::now() - elsewhere->second < std::chrono::minutes(1);
  if (!released && released.error().kind == ErrorKind::kNotFound && just_released) released = Ok{};
  if (!released && !(released.error().kind == ErrorKind::kNotFound && info->has_value())) {
    co_return released.error().kind == ErrorKind::kNotFound ? unknown_container(name) : released.error();
  }
  removed.status = "removed";
  spdlog::info("removed container {}{}", name, info->has_value() ? "" : " (it was gone already)");
  co_return removed;
}

}  // namespace vx::agent
