// One IPAM process's view of the cluster's hosts and endpoints, fed from the change log and read
// by every HTTP worker, so that watchers and listings are served from memory: Redis works in
// proportion to changes, not to watchers times state.
//
// The feed (one per process) loads a snapshot, then applies changes in revision order. The view
// retains the latest changes (up to `retained`), each encoded once, so that answering a watcher is
// copying bytes. A watcher at a revision the view cannot continue from (older than what it
// retains, newer than what it holds, or before the last load) is answered the snapshot instead,
// marked "reset". Thread-safe: one writer, any number of readers on any io_context.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "ipam/view/peer_state.h"
#include "proto/peers.h"

namespace boost::asio {
class any_io_executor;
}

namespace vx::ipam {

class ClusterView {
 public:
  // `watch_pace`: watchers are woken at most this often; changes in between wait for the next
  // wake-up and go out together, so a burst of changes costs a few answers per watcher, not one
  // per change. Readers waiting for a revision (wait_until) are never held back.
  explicit ClusterView(size_t retained = 100000, std::chrono::milliseconds watch_pace = {});
  ~ClusterView();

  // Writing (the feed). load() replaces everything and wakes every waiter; `history`, the changes
  // that led up to the snapshot (revisions one by one, ending at its revision), lets watchers from
  // before the load go on without a reset: a restarted replica does not send every agent a
  // snapshot. apply() takes changes whose revisions follow the view's own, one by one.
  void load(proto::Snapshot snapshot, const std::vector<proto::Change>& history = {});
  // Answers when the watchers' wake-up it held back is due: call wake_due_watchers() then.
  std::optional<std::chrono::steady_clock::time_point> apply(const std::vector<proto::Change>& changes);
  void wake_due_watchers();
  // Why the feed cannot follow the log right now, or "" once it does again: for /health.
  void set_feed_error(std::string error);
  // At shutdown: every waiter returns at once, and no new one waits.
  void close();

  bool loaded() const;
  uint64_t revision() const;
  std::string feed_error() const;

  // The body of GET /peers?since=R: the changes after `since` (at most kMaxChangesPerAnswer), or the
  // snapshot marked reset; std::nullopt when `since` is the view's revision (nothing new yet).
  // Without `since`, the snapshot (unmarked).
  std::optional<std::string> peers_after(std::optional<uint64_t> since) const;

  // Complete once the loaded view's revision is at least `revision` / differs from `revision`
  // (true), or at `deadline` (false).
  boost::asio::awaitable<bool> wait_until(uint64_t revision, std::chrono::steady_clock::time_point deadline);
  boost::asio::awaitable<bool> wait_past(uint64_t revision, std::chrono::steady_clock::time_point deadline);

  std::vector<proto::Endpoint> endpoints(const std::string& host_id = {}) const;  // all, or one host's
  std::vector<proto::Host> hosts() const;
  // Containers per host, gateway reservations not counted.
  std::map<std::string, uint64_t> container_counts() const;
  size_t watchers() const;

 private:
  struct Waiter;
  struct Retained {
    uint64_t revision;
    std::string json;
  };

  using Waiters = std::map<Waiter*, std::weak_ptr<Waiter>>;
  boost::asio::awaitable<bool> wait(std::function<bool(uint64_t)> done, std::chrono::steady_clock::time_point deadline,
                                    Waiters ClusterView::*waiting);
  void retain(const proto::Change& change);
  void wake(Waiters& waiting);
  static void wake_in_slices(std::vector<std::shared_ptr<Waiter>> waiters);
  std::string snapshot_json(bool reset) const;
  std::string changes_json(uint64_t since) const;

  const size_t retained_limit_;
  const std::chrono::milliseconds watch_pace_;
  mutable std::mutex mutex_;
  bool loaded_ = false;
  uint64_t revision_ = 0;
  uint64_t base_ = 0;  // changes after this revision are retained
  PeerState state_;
  std::deque<Retained> retained_;
  Waiters readers_;   // wait_until: a read that must see a revision
  Waiters watchers_;  // wait_past: long-polls
  std::chrono::steady_clock::time_point next_watch_wake_{};
  bool watch_wake_due_ = false;
  std::string feed_error_ = "the view has not loaded yet";
  bool closed_ = false;
  // Answers by the revision asked after, since most watchers ask after the same one: each is made
  // once per change, not once per watcher.
  mutable std::map<uint64_t, std::string> answers_;
  mutable std::shared_ptr<const std::string> snapshot_cache_;  // the snapshot at revision_, encoded
};

}  // namespace vx::ipam
