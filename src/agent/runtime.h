// The agent's view of the container runtime on its host: the overlay network and the containers on
// it. The real one speaks the Docker Engine API over its unix socket (docker/docker_runtime.h);
// tests may use a fake. Every call has a deadline and returns errors as values:
//   kUnavailable  the runtime does not answer (or answers 5xx), with the reason;
//   kBadInput     the runtime refused the request as invalid ("unknown_image" when the image is
//                 not on this host);
//   kConflict     "container_exists": a container of that name exists already;
//   kNotFound     "unknown_container" / "unknown_network".
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/ipv4.h"

namespace vx::agent {

using Labels = std::map<std::string, std::string>;

struct NetworkSpec {
  std::string name;         // "vxlan-net"
  Cidr subnet;              // the whole overlay subnet
  Ipv4 gateway;             // this host's own gateway address
  std::string bridge_name;  // fixed, so that the data plane can find it
  int mtu = 1450;
  Labels labels;
  std::string ipam_driver = {};  // "" for Docker's own allocator; else a plugin's name (docker_plugin/)
};

struct NetworkInfo {
  std::string id;
  std::string name;
  std::string driver;
  std::string subnet;       // as the runtime reports it, "172.20.0.0/16"
  std::string gateway;      // "172.20.0.1"
  std::string bridge_name;  // from the network's options
  int mtu = 0;              // from the network's options; 0 when not set
  int containers = 0;       // how many containers are attached
  Labels labels;
  std::string ipam_driver = {};  // "" for Docker's own ("default")
};

// A container's endpoint on one Docker network.
struct Attachment {
  std::string ip_address;   // empty while the container is not running
  std::string mac_address;
  std::string requested_ip = {};  // the address it was created or connected with (--ip), if any
};

struct ContainerSpec {
  std::string name;
  std::string image;
  std::string network;  // the only network it joins
  Ipv4 ip;
  Labels labels;
  std::vector<Ipv4> dns = {};  // its name servers (Docker's HostConfig.Dns); none: Docker's default
};

struct ContainerInfo {
  std::string id;
  std::string name;         // without Docker's leading '/'
  std::string image;        // as given at create
  std::string state;        // "created", "running", "exited", ...
  std::string ip_address;   // on the overlay network; empty when not attached
  std::string mac_address;  // on the overlay network, "02:42:ac:14:00:05"; empty when not attached
  Labels labels;
  int pid = 0;              // its main process in the runtime's PID namespace; 0 unless running
                            // and inspected (lists do not carry it)
  std::map<std::string, Attachment> networks = {};  // by Docker network name
};

// One entry of the runtime's event stream about a network: a container connected to it (at every
// start, and `docker network connect`) or disconnected (at every stop, and `docker network
// disconnect`).
struct NetworkEvent {
  std::string action;  // "connect" | "disconnect"
  std::string network;  // the Docker network's name
  std::string container_id;
};

class Runtime {
 public:
  virtual ~Runtime() = default;

  virtual boost::asio::awaitable<Status> ping() = 0;

  virtual boost::asio::awaitable<Result<std::optional<NetworkInfo>>> inspect_network(
      const std::string& name) = 0;
  virtual boost::asio::awaitable<Result<NetworkInfo>> create_network(const NetworkSpec& spec) = 0;
  virtual boost::asio::awaitable<Status> remove_network(const std::string& name) = 0;

  // Creates (does not start) a container attached to spec.network only, with spec.ip.
  virtual boost::asio::awaitable<Result<ContainerInfo>> create_container(const ContainerSpec& spec) = 0;
  virtual boost::asio::awaitable<Status> start_container(const std::string& id_or_name) = 0;
  virtual boost::asio::awaitable<Result<std::optional<ContainerInfo>>> inspect_container(
      const std::string& id_or_name) = 0;
  // Stops and removes; kNotFound "unknown_container" when there is none.
  virtual boost::asio::awaitable<Status> remove_container(const std::string& id_or_name) = 0;
  // Every container, running or not, that carries label key=value.
  virtual boost::asio::awaitable<Result<std::vector<ContainerInfo>>> list_containers(
      const std::string& label_key, const std::string& label_value) = 0;
  // Every container, running or not, attached to the network.
  virtual boost::asio::awaitable<Result<std::vector<ContainerInfo>>> list_attached(const std::string& network) = 0;
  // Takes a container off a network at once (Docker's force), running or not; kNotFound when either
  // is gone.
  virtual boost::asio::awaitable<Status> disconnect(const std::string& network, const std::string& container_id) = 0;
  // The network events from `since` to `until`, read as removed_containers reads its window.
  virtual boost::asio::awaitable<Result<std::vector<NetworkEvent>>> network_events(
      std::chrono::system_clock::time_point since, std::chrono::system_clock::time_point until) = 0;
  // The names of the containers carrying every one of `labels` that were removed from `since` to
  // `until`, from the runtime's event stream; answers once `until` has passed, so that reading
  // one window after another follows the stream. A name may come twice, from windows that touch.
  virtual boost::asio::awaitable<Result<std::vector<std::string>>> removed_containers(
      const Labels& labels, std::chrono::system_clock::time_point since,
      std::chrono::system_clock::time_point until) = 0;
};

}  // namespace vx::agent
