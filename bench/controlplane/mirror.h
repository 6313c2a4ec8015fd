// The registry as one follower of the feed rebuilds it: a snapshot, then every change applied in
// order. At the end of the run it must equal a fresh GET /peers of the same revision, or the feed
// lost or garbled a change. It also counts the hosts the feed reported as no longer alive: with
// every host heartbeating, each one is a liveness flap.
#pragma once

#include <boost/json/object.hpp>
#include <map>
#include <string>
#include <vector>

#include "feed.h"

namespace cpbench {

using EntryTable = std::map<std::string, boost::json::object>;

class FeedMirror : public FeedSink {
 public:
  void on_snapshot(const boost::json::object& snapshot) override;
  void on_change(const boost::json::object& change) override;

  uint64_t host_deaths() const { return host_deaths_; }
  // What differs between this mirror and a GET /peers snapshot: up to `limit` descriptions.
  std::vector<std::string> differences(const boost::json::object& snapshot, size_t limit) const;

 private:
  void put_host(boost::json::object host);

  EntryTable hosts_;      // by host_id: {"host_id","underlay_ip","agent_url","alive"}
  EntryTable endpoints_;  // by container_name: {"container_name","ip_address","host_id"[,"mac_address"]}
  uint64_t host_deaths_ = 0;
};

}  // namespace cpbench
