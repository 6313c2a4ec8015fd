#include "agent/cni/cni_service.h"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <map>

#include "common/mac.h"
#include "common/split.h"

namespace vx::agent {

namespace asio = boost::asio;
using CniAttachment = proto::cni::Attachment;

namespace {

constexpr std::string_view kLabelPrefix = "vxlan-cni ";
// The kernel keeps an alias of up to 255 bytes: the longest label must fit.
static_assert(kLabelPrefix.size() + proto::kMaxNetworkName + 1 + proto::kMaxContainerName + 1 +
                  proto::cni::kMaxConfigName + 1 + std::string_view("02:00:00:00:00:00").size() <=
              255);

// FNV-1a: stable across builds and machines, unlike std::hash, since the names it makes outlive
// the agent that made them.
uint64_t fnv1a(std::string_view text, uint64_t seed) {
  uint64_t hash = 14695981039346656037ull ^ seed;
  for (unsigned char c : text) hash = (hash ^ c) * 1099511628211ull;
  return hash;
}

// Both come from the registry and the network's set-up, which hold addresses only.
Ipv4 known_address(const std::string& text) {
  auto parsed = Ipv4::parse(text);
  return parsed ? *parsed : Ipv4();
}

std::string key_of(const std::string& container_id, const std::string& ifname) { return container_id + '\0' + ifname; }

// Beside the registry's names in the agent's claims: a space is in no name.
std::string claim_of_attachment(const std::string& host_interface) { return "attachment " + host_interface; }

}  // namespace

std::string CniService::host_interface_of(const std::string& container_id, const std::string& ifname) {
  char name[16];
  std::snprintf(name, sizeof name, "vxc%012llx",
                static_cast<unsigned long long>(fnv1a(key_of(container_id, ifname), 0) & 0xffffffffffffull));
  return name;
}

// Locally administered and unicast (02:...), and never Docker's own 02:42: prefix.
std::string CniService::mac_of(const std::string& container_id, const std::string& ifname) {
  uint64_t bits = fnv1a(key_of(container_id, ifname), 1);
  unsigned b[5];
  for (int i = 0; i < 5; ++i) b[i] = static_cast<unsigned>((bits >> (8 * i)) & 0xff);
  if (b[0] == 0x42) b[0] = 0x43;
  char mac[18];
  std::snprintf(mac, sizeof mac, "02:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4]);
  return mac;
}

std::string CniService::label_of(const Label& label) {
  std::string text = std::string(kLabelPrefix) + label.network + " " + label.name;
  return label.config.empty() ? text : text + " " + label.config + " " + label.mac;
}

// "NETWORK NAME CONFIG MAC", or "NETWORK NAME" as labels were first written; none of the words
// can hold a space.
std::optional<CniService::Label> CniService::parse_label(const std::string& text) {
  if (!text.starts_with(kLabelPrefix)) return std::nullopt;
  auto words = split(std::string_view(text).substr(kLabelPrefix.size()), ' ');
  if (words.size() != 2 && words.size() != 4) return std::nullopt;
  words.resize(4);
  Label label{std::string(words[0]), std::string(words[1]), std::string(words[2]), std::string(words[3])};
  bool valid = proto::validate_network_name(label.network) && proto::validate_container_name(label.name);
  if (words[2].size() || words[3].size()) {
    valid = valid && proto::cni::validate_config_name(label.config) && parse_mac(label.mac);
  }
  if (!valid) return std::nullopt;
  return label;
}

Result<std::vector<CniService::Labelled>> CniService::attachments_here() {
  auto ends = sandboxes_.host_ends(std::string(kLabelPrefix));
  if (!ends) return ends.error();
  std::vector<Labelled> out;
  for (const auto& end : *ends) {
    if (auto label = parse_label(end.label)) out.push_back({end.host_interface, std::move(*label), end.address});
  }
  return out;
}

std::optional<CniService::Label> CniService::label_at(const std::string& host_interface) {
  auto here = attachments_here();
  if (!here) return std::nullopt;
  for (const auto& attachment : *here) {
    if (attachment.host_interface == host_interface) return attachment.label;
  }
  return std::nullopt;
}

CniAttachment CniService::attachment_of(const std::string& container_id, const std::string& ifname,
                                     const std::string& netns, const Label& label, const NetworkSetup& setup,
                                     const proto::Endpoint& endpoint) const {
  return {container_id, ifname, netns, label.name, label.network, host_interface_of(container_id, ifname),
          mac_of(container_id, ifname), endpoint.ip_address, setup.subnet.prefix_length(), setup.gateway,
          self_.overlay_mtu()};
}

VethSpec CniService::veth_of(const CniAttachment& a, const std::string& config, const NetworkSetup& setup) const {
  return {a.netns, a.ifname, a.host_interface, label_of({a.network, a.name, config, config.empty() ? "" : a.mac}), a.mac,
          known_address(a.address), a.prefix_length, known_address(a.gateway), a.mtu,
          setup.devices.bridge};
}

Result<NameClaims::Claim> CniService::claim(const std::string& host_interface, const std::string& name) {
  auto claimed = claims_.take({claim_of_attachment(host_interface), name});
  if (!claimed) {
    return unavailable("busy", "another operation on " + host_interface + " or " + name +
                                   " is in flight here: try again once it is answered");
  }
  return std::move(*claimed);
}

asio::awaitable<Result<CniAttachment>> CniService::add(const std::string& container_id, const std::string& ifname,
                                                    const proto::cni::AttachRequest& request) {
  if (proto::is_agents_name(request.name)) {
    co_return bad_input("reserved_name", "'" + request.name + "' is a name the agents keep for themselves");
  }
  std::string host_interface = host_interface_of(container_id, ifname);
  auto claimed = claim(host_interface, request.name);
  if (!claimed) co_return claimed.error();
  auto setup = co_await networks_.ensure(request.network);
  if (!setup) co_return setup.error();
  if (auto label = label_at(host_interface)) {
    bool other_config = !label->config.empty() && label->config != request.config;
    if (label->network != request.network || label->name != request.name || other_config) {
      co_return conflict("attached_elsewhere", "container " + container_id + " " + ifname + " is attached to " +
                                                   label->network + " as " + label->name + " by configuration " +
                                                   (label->config.empty() ? "(unnamed)" : label->config));
    }
    auto held = co_await ipam_.container(label->name);
    if (held && held->host_id == self_.host_id) {
      co_return attachment_of(container_id, ifname, request.netns, *label, *setup, *held);
    }
  }
  co_return co_await attach(container_id, ifname, request, *setup);
}

asio::awaitable<Result<CniAttachment>> CniService::attach(const std::string& container_id, const std::string& ifname,
                                                       const proto::cni::AttachRequest& request,
                                                       const NetworkSetup& setup) {
  std::string mac = mac_of(container_id, ifname);
  proto::AllocateRequest wanted{request.name, self_.host_id, std::nullopt, request.network};
  auto held = co_await ipam_.allocate(wanted);
  if (!held) co_return held.error();
  // Already this host's: ours when an earlier add of this very attachment recorded its MAC, or
  // when an add died before recording any.
  bool taken_over = false;
  if (!held->created && held->endpoint.mac_address != mac) {
    taken_over = held->endpoint.mac_address.empty() && co_await left_by_an_add(request.name);
    if (!taken_over) {
      co_return conflict("name_conflict", "name " + request.name + " is held by another container on " + self_.host_id);
    }
    spdlog::info("cni: {} was reserved by an add that never finished; taking it over", request.name);
  }
  Label label{request.network, request.name, request.config, mac};
  CniAttachment attachment = attachment_of(container_id, ifname, request.netns, label, setup, held->endpoint);
  proto::EndpointRecord record{self_.host_id, mac};
  VethSpec veth = veth_of(attachment, request.config, setup);
  veth.default_route = request.default_route;
  Status done = co_await ipam_.record_endpoint(request.name, record);
  if (done) done = sandboxes_.attach(veth);
  if (!done) {
    // Only what this add made or took over: an entry it found with its MAC (an earlier add's) may
    // be a live attachment's.
    if (held->created || taken_over) {
      if (Status released = co_await ipam_.release(request.name, self_.host_id); !released) {
        spdlog::warn("cni: cannot release {} after a failed attach: {}", request.name, released.error().detail);
      }
    }
    co_return done.error();
  }
  spdlog::info("cni: {} {} attached to {} as {} at {} ({})", container_id.substr(0, 12), ifname, request.network,
               request.name, attachment.address, attachment.host_interface);
  co_return attachment;
}

asio::awaitable<Result<CniAttachment>> CniService::check(const std::string& container_id, const std::string& ifname,
                                                      const std::string& netns) {
  std::string host_interface = host_interface_of(container_id, ifname);
  auto label = label_at(host_interface);
  if (!label) co_return not_found("unknown_attachment", "container " + container_id + " " + ifname + " is not attached here");
  const NetworkSetup* found = networks_.find(label->network);
  if (found == nullptr) co_return conflict("attachment_broken", "network " + label->network + " is not set up here");
  NetworkSetup setup = *found;  // a copy: the map may change while the IPAM answers
  auto held = co_await ipam_.container(label->name);
  if (!held) co_return held.error();
  std::string mac = mac_of(container_id, ifname);
  if (held->host_id != self_.host_id || held->network != label->network || held->mac_address != mac) {
    co_return conflict("attachment_broken", "the registry holds " + label->name + " for " + held->host_id + " on " +
                                                held->network + " with MAC " + held->mac_address);
  }
  CniAttachment attachment = attachment_of(container_id, ifname, netns, *label, setup, *held);
  if (Status intact = sandboxes_.check(veth_of(attachment, label->config, setup)); !intact) co_return intact.error();
  co_return attachment;
}

asio::awaitable<bool> CniService::left_by_an_add(const std::string& name) {
  auto found = co_await runtime_.inspect_container(name);
  if (!found) spdlog::warn("cni: cannot ask Docker about {}: {}", name, found.error().detail);
  co_return found && !found->has_value();
}

asio::awaitable<Status> CniService::release_if_ours(const std::string& name, const std::string& mac) {
  Status released = co_await ipam_.release_held(name, self_.host_id, mac);
  if (released) {
    spdlog::info("cni: released {}", name);
    co_return Ok{};
  }
  const std::string& code = released.error().code;
  bool anothers = code == "mac_mismatch" || code == "host_mismatch";
  if (released.error().kind == ErrorKind::kNotFound || anothers) co_return Ok{};
  co_return released;
}

asio::awaitable<Status> CniService::del(const std::string& container_id, const std::string& ifname,
                                        const std::string& name) {
  std::string host_interface = host_interface_of(container_id, ifname);
  auto label = label_at(host_interface);
  std::string held_as = label ? label->name : name;
  // An add half-way (its MAC recorded, its pair not made yet) must not lose its name under it.
  auto claimed = claim(host_interface, held_as);
  if (!claimed) co_return claimed.error();
  if (Status gone = sandboxes_.detach(host_interface); !gone) co_return gone;
  if (held_as.empty()) co_return Ok{};
  co_return co_await release_if_ours(held_as, mac_of(container_id, ifname));
}

asio::awaitable<Result<std::vector<std::string>>> CniService::gc(const proto::cni::GcRequest& request) {
  std::set<std::string> kept;
  for (const auto& valid : request.valid) kept.insert(host_interface_of(valid.container_id, valid.ifname));
  auto here = attachments_here();
  if (!here) co_return here.error();
  std::vector<std::string> released;
  // One attachment that cannot be collected now does not keep the others: GC goes on, and says
  // what it could not do.
  Status first_failure = Ok{};
  for (const auto& [host_interface, label, address] : *here) {
    if (label.config != request.config || kept.count(host_interface)) continue;
    auto claimed = claim(host_interface, label.name);
    if (!claimed) continue;  // in flight: its own operation decides
    Status collected = sandboxes_.detach(host_interface);
    if (collected) collected = co_await release_if_ours(label.name, label.mac);
    if (!collected) {
      spdlog::warn("cni: gc cannot release {} ({}): {}", label.name, host_interface, collected.error().detail);
      if (first_failure) first_failure = collected;
      continue;
    }
    spdlog::info("cni: gc released {} ({}), which the runtime no longer lists", label.name, host_interface);
    released.push_back(label.name);
  }
  if (!first_failure) co_return first_failure.error();
  co_return released;
}

asio::awaitable<Result<std::vector<proto::Container>>> CniService::list() {
  auto here = attachments_here();
  if (!here) co_return here.error();
  std::vector<proto::Container> out;
  if (here->empty()) co_return out;
  auto registered = co_await ipam_.containers(self_.host_id);
  if (!registered) co_return registered.error();
  std::map<std::string, proto::Endpoint> by_name;
  for (auto& endpoint : *registered) by_name[endpoint.container_name] = std::move(endpoint);
  for (const auto& [host_interface, label, address] : *here) {
    auto held = by_name.find(label.name);
    if (held == by_name.end()) continue;  // the registry lost it: housekeeping reserves it again
    out.push_back({host_interface, label.name, held->second.ip_address, held->second.mac_address, self_.host_id,
                   "cni", "attached", label.network});
  }
  co_return out;
}

Result<std::map<std::string, size_t>> CniService::count_by_network() {
  auto here = attachments_here();
  if (!here) return here.error();
  std::map<std::string, size_t> counts;
  for (const auto& attachment : *here) ++counts[attachment.label.network];
  return counts;
}

Result<std::vector<proto::Endpoint>> CniService::attached() {
  auto here = attachments_here();
  if (!here) return here.error();
  std::vector<proto::Endpoint> out;
  for (const auto& [host_interface, label, address] : *here) {
    std::string ip = address == Ipv4() ? "" : address.to_string();
    out.push_back({label.name, ip, self_.host_id, label.mac, label.network});
  }
  return out;
}

Result<bool> CniService::holds(const std::string& name) {
  auto here = attachments_here();
  if (!here) return here.error();
  return std::any_of(here->begin(), here->end(), [&name](const Labelled& a) { return a.label.name == name; });
}

}  // namespace vx::agent
