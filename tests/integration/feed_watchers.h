// Watchers of the change feed that run as agents do: a Watcher long-polls on its own thread,
// moving to the next replica when one is gone, and records what it got; a Follower keeps a view
// through anything (errors retried, resets taken); converge() does the same in the caller's
// thread until the view is the IPAM's snapshot.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "feed_client.h"

namespace vx::test {

// A watcher on its own thread: long-polls `port` from `since` until its revision reaches the
// target (set once the changes are made) or the deadline passes.
class Watcher {
 public:
  Watcher(std::vector<uint16_t> ports, int64_t since);
  ~Watcher();
  void finish_at(int64_t revision) { target_ = revision; }
  // Waits for the thread to end; false if it did not within `timeout`.
  bool join(milliseconds timeout);
  int64_t revision() const { return revision_; }
  bool polling() const { return polling_; }
  std::vector<json::object> changes();
  std::vector<std::string> problems();
  int failovers() const { return failovers_; }
  std::set<uint16_t> ports_used();

 private:
  void run();

  std::vector<uint16_t> ports_;
  std::atomic<int64_t> revision_;
  std::atomic<int64_t> target_{-1};
  std::atomic<bool> stop_{false}, done_{false}, polling_{false};
  std::atomic<int> failovers_{0};
  std::mutex mutex_;
  std::vector<json::object> changes_;
  std::vector<std::string> problems_;
  std::set<uint16_t> used_;
  std::thread thread_;
};

// Two watchers told to finish at `revision`: both end within 20 s (else a fatal failure), with
// no problem, having got the same changes with the same revisions.
void expect_same_feed(Watcher& one, Watcher& other, int64_t revision);

// A watcher as an agent runs one: from its snapshot and revision, apply changes or take a reset,
// until its view is the truth (the IPAM's snapshot) at the truth's revision.
struct Convergence {
  bool converged = false;
  bool saw_reset = false;
  View view;
  int64_t revision = -1;
  std::vector<std::string> log;
};

Convergence converge(uint16_t port, View view, int64_t since, milliseconds deadline = 15s);

// A converge() that must have taken a reset and ended at `wanted`; `note` heads the message.
void expect_reset_to(const Convergence& watcher, const View& wanted, const std::string& note = "");

// A watcher that keeps following on its own thread through whatever happens (errors are retried,
// resets taken), as an agent does.
class Follower {
 public:
  Follower(uint16_t port, View view, int64_t since);
  ~Follower();
  std::pair<View, int64_t> state();
  int resets() const { return resets_; }
  std::vector<std::string> log();
  // Waits until the follower's view and revision are those of the IPAM's snapshot.
  bool converges(milliseconds timeout);

 private:
  void run();

  uint16_t port_;
  std::mutex mutex_;
  View view_;
  int64_t revision_;
  std::atomic<int> resets_{0};
  std::atomic<bool> stop_{false};
  std::vector<std::string> log_;
  std::thread thread_;
};

// A follower that converges within 10 s, through a reset at least, to `wanted`.
void expect_followed_to(Follower& live, const View& wanted);

}  // namespace vx::test
