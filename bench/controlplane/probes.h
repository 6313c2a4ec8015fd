// Propagation probes: endpoints whose MAC every watcher must see. A probe is announced before its
// endpoint is recorded, because a watcher may see the change before the recording's answer
// arrives; each watcher notes when it saw the probe. Its propagation time is the last watcher's
// sighting minus the time the answer arrived (0 when every watcher was ahead of the answer).
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "feed.h"
#include "tasks.h"

namespace cpbench {

class ProbeBoard {
 public:
  explicit ProbeBoard(size_t watchers) : watchers_(watchers) {}

  void announce(const std::string& name, const std::string& mac);
  void recorded(const std::string& name, Clock::time_point answered);
  void seen(size_t watcher, const std::string& name, const std::string& mac);

  bool seen_by_all(const std::string& name) const;
  double propagation_ms(const std::string& name) const;

 private:
  struct Probe {
    std::string mac;
    Clock::time_point answered;
    std::vector<bool> seen_by;
    size_t sightings = 0;
    Clock::time_point last_sighting;
  };
  const Probe& probe(const std::string& name) const;

  size_t watchers_;
  std::unordered_map<std::string, Probe> probes_;
};

// One of the W watchers: reports each endpoint it learns with a MAC, from a change or a reset.
class ProbeWatcher : public FeedSink {
 public:
  ProbeWatcher(ProbeBoard& board, size_t index) : board_(board), index_(index) {}
  void on_snapshot(const boost::json::object& snapshot) override;
  void on_change(const boost::json::object& change) override;

 private:
  void report(const boost::json::object& endpoint);

  ProbeBoard& board_;
  size_t index_;
};

}  // namespace cpbench
