#include "agent/docker_plugin/docker_endpoints.h"

#include <spdlog/spdlog.h>

#include <random>

#include "agent/container_service.h"
#include "proto/names.h"

namespace vx::agent {

namespace asio = boost::asio;

namespace {

// How long after a stop the address waits for its container's restart to ask for it: Docker's
// restart back-off and a `docker restart` both ask well within it.
constexpr auto kRestartWindow = std::chrono::seconds(60);
// A lease whose container never connected (a start that failed after Docker asked for its
// address, and a dockerd that died before releasing it) is dropped after this.
constexpr auto kUnclaimedLease = std::chrono::seconds(60);

}  // namespace

const NetworkSetup* DockerEndpoints::network_of_docker(const std::string& docker_network) const {
  for (const auto& [name, setup] : networks_.all()) {
    if (setup.devices.docker_network == docker_network) return &setup;
  }
  return nullptr;
}

size_t DockerEndpoints::leases() const {
  size_t count = 0;
  for (const auto& [network, leases] : leases_) count += leases.size();
  return count;
}

std::string DockerEndpoints::provisional_name() const {
  static thread_local std::mt19937_64 random(std::random_device{}());
  char id[17];
  std::snprintf(id, sizeof(id), "%016llx", static_cast<unsigned long long>(random()));
  return std::string(proto::kDockerEndpointPrefix) + self_.host_id + "." + id;
}

asio::awaitable<Result<Ipv4>> DockerEndpoints::request_address(const std::string& network, std::optional<Ipv4> wanted,
                                                               const std::string& mac) {
  if (networks_.find(network) == nullptr) {
    co_return not_found("unknown_network", "network '" + network + "' is not set up on host " + self_.host_id);
  }
  if (wanted) co_return co_await hold_wanted(network, *wanted, mac);
  if (auto parked = co_await restart_candidate(network)) {
    leases_[network][parked->address] = {parked->name, Clock::now(), true};
    spdlog::info("docker plugin: {} on {} again for {}, which stopped {} s ago", parked->address.to_string(), network,
                 parked->name, std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - parked->since).count());
    co_return parked->address;
  }
  std::string name = provisional_name();
  proto::AllocateRequest request{name, self_.host_id, std::nullopt, network};
  auto held = co_await ipam_.allocate(request);
  if (!held) co_return held.error();
  auto address = Ipv4::parse(held->endpoint.ip_address);
  if (!address) co_return internal("bad_answer", "the IPAM answered an address that is not one: " + held->endpoint.ip_address);
  leases_[network][*address] = {name, Clock::now()};
  if (!mac.empty()) {
    proto::EndpointRecord record{self_.host_id, mac};
    if (Status recorded = co_await ipam_.record_endpoint(name, record); !recorded) {
      spdlog::warn("docker plugin: cannot record MAC {} of {}: {}", mac, name, recorded.error().detail);
    }
  }
  spdlog::info("docker plugin: {} on {} held as {} until its container is known", address->to_string(), network, name);
  co_return *address;
}

asio::awaitable<Result<Ipv4>> DockerEndpoints::hold_wanted(const std::string& network, Ipv4 wanted,
                                                           const std::string& mac) {
  std::string text = wanted.to_string();
  if (leases_[network].count(wanted)) {
    co_return conflict("address_in_use", "address " + text + " on " + network + " is in use by a container on host " +
                                             self_.host_id);
  }
  std::string name = provisional_name();
  proto::AllocateRequest request{name, self_.host_id, wanted, network};
  auto held = co_await ipam_.allocate(request);
  if (held) {
    leases_[network][wanted] = {name, Clock::now()};
    if (!mac.empty()) {
      proto::EndpointRecord record{self_.host_id, mac};
      if (Status recorded = co_await ipam_.record_endpoint(name, record); !recorded) {
        spdlog::warn("docker plugin: cannot record MAC {} of {}: {}", mac, name, recorded.error().detail);
      }
    }
    spdlog::info("docker plugin: {} on {} held as {} (asked for)", text, network, name);
    co_return wanted;
  }
  if (held.error().code != "ip_taken") co_return held.error();
  // The container that holds it here is the one starting: one the agent created, or one that
  // stopped with it and starts again.
  auto here = co_await ipam_.containers(self_.host_id);
  if (!here) co_return here.error();
  for (const auto& endpoint : *here) {
    if (endpoint.ip_address != text || endpoint.network != network || proto::is_gateway_name(endpoint.container_name)) {
      continue;
    }
    auto pod = attachment_holds(endpoint.container_name);
    if (!pod) co_return pod.error();
    if (*pod) {
      co_return conflict("address_in_use", "address " + text + " on " + network + " is in use by CNI attachment " +
                                               endpoint.container_name + " on host " + self_.host_id);
    }
    unpark(endpoint.container_name);
    leases_[network][wanted] = {endpoint.container_name, Clock::now()};
    spdlog::info("docker plugin: {} on {} for {}, which holds it here", text, network, endpoint.container_name);
    co_return wanted;
  }
  co_return conflict("address_in_use", held.error().detail + " on another host");
}

asio::awaitable<std::optional<DockerEndpoints::Parked>> DockerEndpoints::restart_candidate(const std::string& network) {
  auto& parked = parked_[network];
  auto now = Clock::now();
  std::erase_if(parked, [now](const Parked& entry) { return now - entry.since > kRestartWindow; });
  if (parked.size() != 1) co_return std::nullopt;
  Parked candidate = parked.front();
  parked.clear();
  // Removed meanwhile, its address released and perhaps handed to another host: only what the
  // registry still holds for it here can be handed back.
  auto held = co_await ipam_.container(candidate.name);
  if (!held || held->host_id != self_.host_id || held->ip_address != candidate.address.to_string() ||
      held->network != network) {
    co_return std::nullopt;
  }
  co_return candidate;
}

void DockerEndpoints::unpark(const std::string& name) {
  for (auto& [network, parked] : parked_) {
    std::erase_if(parked, [&name](const Parked& entry) { return entry.name == name; });
  }
}

asio::awaitable<Status> DockerEndpoints::release_address(const std::string& network, Ipv4 address) {
  auto& leases = leases_[network];
  auto found = leases.find(address);
  if (found == leases.end()) co_return Ok{};  // released already, or never ours
  Lease lease = found->second;
  leases.erase(found);
  if (lease.parkable) {
    // A stop, a disconnect or a removal: the network event says which (disconnected()).
    parked_[network].push_back({lease.name, address, Clock::now()});
    co_return Ok{};
  }
  if (!proto::is_docker_endpoint_name(lease.name)) co_return Ok{};  // its container's to release
  Status released = co_await ipam_.release(lease.name, self_.host_id);
  if (!released && released.error().kind != ErrorKind::kNotFound) co_return released;
  spdlog::info("docker plugin: released {} on {} ({}): its container never started", address.to_string(), network,
               lease.name);
  co_return Ok{};
}

asio::awaitable<bool> DockerEndpoints::connected(const std::string& docker_network, const std::string& container_id) {
  const NetworkSetup* setup = network_of_docker(docker_network);
  if (setup == nullptr) co_return true;
  std::string network = setup->devices.network;
  auto inspected = co_await runtime_.inspect_container(container_id);
  if (!inspected || !inspected->has_value()) co_return true;  // gone already: the removal follower releases it
  const ContainerInfo& container = **inspected;
  auto attachment = container.networks.find(docker_network);
  if (is_managed(container) || attachment == container.networks.end()) co_return true;
  auto address = Ipv4::parse(attachment->second.ip_address);
  if (!address) co_return true;  // stopped again already
  co_return co_await claim(network, container, *address, attachment->second);
}

Result<bool> DockerEndpoints::attachment_holds(const std::string& name) {
  auto held = attached_(name);
  if (!held) spdlog::warn("docker plugin: cannot tell whether a CNI attachment holds {}: {}", name, held.error().detail);
  return held;
}

asio::awaitable<bool> DockerEndpoints::claim(const std::string& network, const ContainerInfo& container, Ipv4 address,
                                             const Attachment& attachment) {
  if (proto::is_agents_name(container.name)) {
    co_await refuse_duplicate(network, container, "the agents, which keep it for a gateway or Docker's own endpoints");
    co_return true;
  }
  auto claimed = claims_.take({container.name});
  if (!claimed) co_return false;
  auto pod = attachment_holds(container.name);
  if (!pod) co_return false;
  if (*pod) {
    co_await refuse_duplicate(network, container, "a CNI attachment on this host");
    co_return true;
  }
  const std::string& mac = attachment.mac_address;
  std::string holder;
  if (auto lease = leases_[network].find(address); lease != leases_[network].end()) holder = lease->second.name;
  if (holder.empty()) {
    // Leased before this agent started: the registry says who holds it.
    auto here = co_await ipam_.containers(self_.host_id);
    if (!here) co_return true;
    for (const auto& endpoint : *here) {
      if (endpoint.ip_address == address.to_string() && endpoint.network == network) holder = endpoint.container_name;
    }
    if (holder.empty()) co_return true;  // the registry lost it: housekeeping reserves it again
  }
  unpark(container.name);
  if (holder != container.name) {
    proto::RenameRequest request{self_.host_id, container.name};
    auto renamed = co_await ipam_.rename(holder, request);
    if (!renamed && renamed.error().code == "name_conflict") {
      auto other = co_await ipam_.container(container.name);
      if (other && other->host_id != self_.host_id) {
        co_await refuse_duplicate(network, container, "host " + other->host_id + " (" + other->ip_address + ")");
        co_return true;
      }
      // Its own entry from before a restart that got another address: the new one wins.
      if (other && other->ip_address != address.to_string()) {
        spdlog::info("docker plugin: {} restarted with {} (it had {})", container.name, address.to_string(),
                     other->ip_address);
        if (Status released = co_await ipam_.release(container.name, self_.host_id); !released) {
          spdlog::warn("docker plugin: cannot release the old address of {}: {}", container.name,
                       released.error().detail);
          co_return true;
        }
      }
      renamed = co_await ipam_.rename(holder, request);
    }
    if (!renamed) {
      spdlog::warn("docker plugin: cannot register {} ({} on {}): {}", container.name, address.to_string(), network,
                   renamed.error().detail);
      co_return true;
    }
    // `docker rm -f` right after `docker run`: the removal follower may have met the removal
    // before the name was registered, and released nothing.
    if (auto still = co_await runtime_.inspect_container(container.id); still && !still->has_value()) {
      if (Status released = co_await ipam_.release(container.name, self_.host_id); !released) {
        spdlog::warn("docker plugin: cannot release {}, removed while it was registered: {}", container.name,
                     released.error().detail);
      } else {
        spdlog::info("docker plugin: {} was removed while it was registered; released {}", container.name,
                     address.to_string());
      }
      co_return true;
    }
    spdlog::info("docker plugin: {} registered at {} on {}", container.name, address.to_string(), network);
  }
  leases_[network][address] = {container.name, Clock::now(), attachment.requested_ip.empty()};
  if (mac.empty()) co_return true;
  proto::EndpointRecord record{self_.host_id, mac};
  if (Status recorded = co_await ipam_.record_endpoint(container.name, record); !recorded) {
    spdlog::warn("docker plugin: cannot record the MAC of {}: {}", container.name, recorded.error().detail);
  }
  co_return true;
}

asio::awaitable<void> DockerEndpoints::refuse_duplicate(const std::string& network, const ContainerInfo& container,
                                                        const std::string& holder) {
  spdlog::error("docker plugin: container name {} is registered to {}: names are cluster-wide, so {} "
                "here is taken off {}; rename it (docker rename) and connect it again",
                container.name, holder, container.id.substr(0, 12), network);
  const NetworkSetup* setup = networks_.find(network);
  std::string docker_network = setup ? setup->devices.docker_network : network;
  // Docker releases the address (release_address), which frees its provisional entry.
  if (Status off = co_await runtime_.disconnect(docker_network, container.id); !off) {
    spdlog::warn("docker plugin: cannot disconnect {} from {}: {}", container.name, docker_network, off.error().detail);
  }
}

asio::awaitable<bool> DockerEndpoints::disconnected(const std::string& docker_network,
                                                    const std::string& container_id) {
  const NetworkSetup* setup = network_of_docker(docker_network);
  if (setup == nullptr) co_return true;
  std::string network = setup->devices.network;
  auto inspected = co_await runtime_.inspect_container(container_id);
  if (!inspected || !inspected->has_value()) co_return true;  // removed: the removal follower releases it
  const ContainerInfo& container = **inspected;
  if (is_managed(container) || container.networks.count(docker_network)) co_return true;  // a stop: parked
  if (proto::is_agents_name(container.name)) co_return true;  // refused at its connect: nothing of its to release
  auto claimed = claims_.take({container.name});
  if (!claimed) co_return false;
  // One refused for a pod's name (refuse_duplicate) is disconnected too: the name stays the pod's.
  auto pod = attachment_holds(container.name);
  if (!pod) co_return false;
  if (*pod) co_return true;
  unpark(container.name);
  auto held = co_await ipam_.container(container.name);
  if (!held || held->host_id != self_.host_id || held->network != network) co_return true;
  for (const auto& [address, lease] : leases_[network]) {
    if (lease.name == container.name) co_return true;  // connected again meanwhile
  }
  if (Status released = co_await ipam_.release(container.name, self_.host_id); !released) {
    spdlog::warn("docker plugin: cannot release {} of {}: {}", held->ip_address, container.name,
                 released.error().detail);
    co_return true;
  }
  spdlog::info("docker plugin: released {} of {}: disconnected from {}", held->ip_address, container.name, network);
  co_return true;
}

asio::awaitable<std::set<std::string>> DockerEndpoints::keep(const std::map<std::string, proto::Endpoint>& registered) {
  std::set<std::string> held;
  std::map<std::string, std::string> by_address;  // network/address -> registry name
  for (const auto& [name, endpoint] : registered) by_address[endpoint.network + "/" + endpoint.ip_address] = name;
  auto now = Clock::now();
  std::map<std::string, NetworkSetup> carried = networks_.all();
  for (const auto& [network, setup] : carried) {
    auto attached = co_await runtime_.list_attached(setup.devices.docker_network);
    if (!attached) continue;
    std::set<Ipv4> in_use;
    for (const auto& container : *attached) {
      auto attachment = container.networks.find(setup.devices.docker_network);
      auto address = attachment == container.networks.end() ? Result<Ipv4>(not_found("none", "none"))
                                                            : Ipv4::parse(attachment->second.ip_address);
      if (address) in_use.insert(*address);
      if (is_managed(container)) {
        if (address) leases_[network].try_emplace(*address, Lease{container.name, now});
        continue;
      }
      held.insert(container.name);  // stopped, its address parked; or running
      if (!address) continue;
      auto holder = by_address.find(network + "/" + address->to_string());
      bool parkable = attachment->second.requested_ip.empty();
      if (holder != by_address.end() && holder->second == container.name) {
        leases_[network][*address] = {container.name, now, parkable};
        continue;
      }
      if (holder == by_address.end()) {
        // The registry lost it: reserve it again at its address before the IPAM hands it out.
        auto claimed = claims_.take({container.name});
        if (!claimed) continue;
        if (auto pod = attachment_holds(container.name); !pod || *pod) continue;
        spdlog::warn("the registry lost {} ({} on {}); reserving it again", container.name, address->to_string(), network);
        proto::AllocateRequest request{container.name, self_.host_id, *address, network};
        if (auto again = co_await ipam_.allocate(request); !again) {
          spdlog::error("cannot reserve {} for {} again: {}", address->to_string(), container.name, again.error().detail);
          continue;
        }
        leases_[network][*address] = {container.name, now, parkable};
        continue;
      }
      held.insert(holder->second);
      leases_[network][*address] = {holder->second, now};
      co_await claim(network, container, *address, attachment->second);
    }
    // Leases in flight (asked for, container not started yet) are held; unclaimed old ones are not.
    auto& leases = leases_[network];
    for (auto lease = leases.begin(); lease != leases.end();) {
      bool stale = !in_use.count(lease->first) && now - lease->second.since > kUnclaimedLease;
      if (stale) {
        lease = leases.erase(lease);
        continue;
      }
      held.insert(lease->second.name);
      ++lease;
    }
  }
  co_return held;
}

}  // namespace vx::agent
