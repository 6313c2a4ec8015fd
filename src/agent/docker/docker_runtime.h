// The Runtime on the Docker Engine API (v1.41, Docker 20.10) over the daemon's unix socket.
// Quick reads (ping, inspect, list) get `timeout`; calls that make the daemon work (create, start,
// remove) get `work_timeout`. Errors carry the daemon's own
// message in the detail. The interface names no network for a container, so its address and MAC
// are those of the first network it has an address on (ours are on the overlay only); before it
// starts, the address is the one it was created with and the MAC is empty. Docker 20.10 checks a
// container's network and address only at start: unknown_network and "address_in_use" come from
// start_container. No state is kept between calls, so calls may run concurrently.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/json/object.hpp>
#include <chrono>
#include <functional>
#include <string>

#include "agent/docker/docker_client.h"
#include "agent/runtime.h"

namespace vx::agent {

class DockerRuntime : public Runtime {
 public:
  DockerRuntime(boost::asio::any_io_executor executor, std::string socket_path,
                std::chrono::milliseconds timeout,
                std::chrono::milliseconds work_timeout = std::chrono::seconds(30));

  boost::asio::awaitable<Status> ping() override;

  boost::asio::awaitable<Result<std::optional<NetworkInfo>>> inspect_network(
      const std::string& name) override;
  boost::asio::awaitable<Result<NetworkInfo>> create_network(const NetworkSpec& spec) override;
  boost::asio::awaitable<Status> remove_network(const std::string& name) override;

  boost::asio::awaitable<Result<ContainerInfo>> create_container(const ContainerSpec& spec) override;
  boost::asio::awaitable<Status> start_container(const std::string& id_or_name) override;
  boost::asio::awaitable<Result<std::optional<ContainerInfo>>> inspect_container(
      const std::string& id_or_name) override;
  boost::asio::awaitable<Status> remove_container(const std::string& id_or_name) override;
  boost::asio::awaitable<Result<std::vector<ContainerInfo>>> list_containers(
      const std::string& label_key, const std::string& label_value) override;
  boost::asio::awaitable<Result<std::vector<ContainerInfo>>> list_attached(const std::string& network) override;
  boost::asio::awaitable<Status> disconnect(const std::string& network, const std::string& container_id) override;
  boost::asio::awaitable<Result<std::vector<NetworkEvent>>> network_events(
      std::chrono::system_clock::time_point since, std::chrono::system_clock::time_point until) override;
  boost::asio::awaitable<Result<std::vector<std::string>>> removed_containers(
      const Labels& labels, std::chrono::system_clock::time_point since,
      std::chrono::system_clock::time_point until) override;

 private:
  using Clock = DockerClient::Clock;

  Clock::time_point quick_deadline() const { return Clock::now() + timeout_; }
  Clock::time_point work_deadline() const { return Clock::now() + work_timeout_; }

  // GET `path` for a JSON object; nothing when Docker answers 404 (no such network or container).
  boost::asio::awaitable<Result<std::optional<boost::json::object>>> inspect(std::string path, std::string action);

  boost::asio::awaitable<Result<std::vector<ContainerInfo>>> list(std::string path, std::string action);
  boost::asio::awaitable<Status> read_events(const std::string& filter, std::chrono::system_clock::time_point since,
                                             std::chrono::system_clock::time_point until, const std::string& action,
                                             const std::function<void(const boost::json::object& actor)>& read);

  DockerClient client_;
  std::chrono::milliseconds timeout_;
  std::chrono::milliseconds work_timeout_;
};

}  // namespace vx::agent
