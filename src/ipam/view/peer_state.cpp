#include "ipam/view/peer_state.h"

namespace vx::ipam {

PeerState::PeerState(proto::Snapshot snapshot) {
  for (auto& host : snapshot.hosts) hosts[host.host_id] = std::move(host);
  for (auto& endpoint : snapshot.endpoints) endpoints[endpoint.container_name] = std::move(endpoint);
}

void PeerState::apply(const proto::Change& change) {
  bool put = change.op == proto::Op::kPut;
  if (change.kind == proto::Kind::kHost) {
    if (put) {
      hosts[change.host.host_id] = change.host;
    } else {
      hosts.erase(change.host.host_id);
    }
  } else if (put) {
    endpoints[change.endpoint.container_name] = change.endpoint;
  } else {
    endpoints.erase(change.endpoint.container_name);
  }
}

proto::Snapshot PeerState::snapshot(uint64_t revision) const {
  proto::Snapshot out{revision, {}, {}};
  out.hosts.reserve(hosts.size());
  out.endpoints.reserve(endpoints.size());
  for (const auto& [id, host] : hosts) out.hosts.push_back(host);
  for (const auto& [name, endpoint] : endpoints) out.endpoints.push_back(endpoint);
  return out;
}

}  // namespace vx::ipam
