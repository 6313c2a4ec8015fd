#include "ipam/view/cluster_view.h"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include "proto/names.h"

namespace vx::ipam {

namespace asio = boost::asio;
namespace json = boost::json;

// A coroutine parked until a change, woken by cancelling its timer on its own executor: the view is
// written from the feed's thread, and each waiter lives on some worker's. The coroutine owns it;
// the view only refers to it, so that a worker's io_context can go first at shutdown.
struct ClusterView::Waiter {
  explicit Waiter(const asio::any_io_executor& executor) : timer(executor) {}
  asio::steady_timer timer;
};

ClusterView::ClusterView(size_t retained, std::chrono::milliseconds watch_pace)
    : retained_limit_(std::max<size_t>(retained, 1)), watch_pace_(watch_pace) {}

ClusterView::~ClusterView() = default;

void ClusterView::load(proto::Snapshot snapshot, const std::vector<proto::Change>& history) {
  std::lock_guard lock(mutex_);
  revision_ = base_ = snapshot.revision;
  state_ = PeerState(std::move(snapshot));
  retained_.clear();
  bool continues = !history.empty() && history.back().revision == snapshot.revision &&
                   history.back().revision - history.front().revision + 1 == history.size();
  if (continues) {
    size_t skip = history.size() > retained_limit_ ? history.size() - retained_limit_ : 0;
    for (size_t i = skip; i < history.size(); ++i) retain(history[i]);
    base_ = retained_.front().revision - 1;
  }
  loaded_ = true;
  feed_error_.clear();
  snapshot_cache_.reset();
  answers_.clear();
  wake(readers_);
  wake(watchers_);
  watch_wake_due_ = false;
}

std::optional<std::chrono::steady_clock::time_point> ClusterView::apply(const std::vector<proto::Change>& changes) {
  if (changes.empty()) return std::nullopt;
  std::lock_guard lock(mutex_);
  for (const auto& change : changes) {
    state_.apply(change);
    retain(change);
    revision_ = change.revision;
  }
  while (retained_.size() > retained_limit_) {
    base_ = retained_.front().revision;
    retained_.pop_front();
  }
  snapshot_cache_.reset();
  answers_.clear();
  wake(readers_);
  auto now = std::chrono::steady_clock::now();
  if (now < next_watch_wake_) {
    watch_wake_due_ = true;
    return next_watch_wake_;
  }
  wake(watchers_);
  next_watch_wake_ = now + watch_pace_;
  return std::nullopt;
}

void ClusterView::wake_due_watchers() {
  std::lock_guard lock(mutex_);
  if (!watch_wake_due_) return;
  watch_wake_due_ = false;
  wake(watchers_);
  next_watch_wake_ = std::chrono::steady_clock::now() + watch_pace_;
}

void ClusterView::retain(const proto::Change& change) {
  retained_.push_back({change.revision, json::serialize(proto::to_json(change))});
}

void ClusterView::wake(Waiters& waiting) {
  std::vector<std::shared_ptr<Waiter>> woken;
  for (const auto& [key, weak] : waiting) {
    if (auto waiter = weak.lock()) woken.push_back(std::move(waiter));
  }
  waiting.clear();
  wake_in_slices(std::move(woken));
}

namespace {

// Waiters woken per turn of a worker's event loop.
constexpr size_t kWakeSlice = 32;

}  // namespace

// A thousand watchers woken at once would each answer before anything else the worker has queued
// runs, an allocation's reply from Redis included. So each worker wakes a slice at a time, and
// posts the next slice behind whatever arrived meanwhile.
void ClusterView::wake_in_slices(std::vector<std::shared_ptr<Waiter>> waiters) {
  std::vector<std::vector<std::shared_ptr<Waiter>>> by_worker;
  for (auto& waiter : waiters) {
    auto same = std::find_if(by_worker.begin(), by_worker.end(), [&](const auto& group) {
      return group.front()->timer.get_executor() == waiter->timer.get_executor();
    });
    if (same == by_worker.end()) {
      by_worker.push_back({std::move(waiter)});
    } else {
      same->push_back(std::move(waiter));
    }
  }
  // Posts a copy of itself for the next slice: no handler refers to itself, so a worker stopped
  // half-way through frees what is left.
  struct Slices {
    std::shared_ptr<std::vector<std::shared_ptr<Waiter>>> pending;
    asio::any_io_executor executor;
    void operator()() const {
      for (size_t i = 0; i < kWakeSlice && !pending->empty(); ++i) {
        pending->back()->timer.cancel();
        pending->pop_back();
      }
      if (!pending->empty()) asio::post(executor, *this);
    }
  };
  for (auto& group : by_worker) {
    auto executor = group.front()->timer.get_executor();
    asio::post(executor, Slices{std::make_shared<std::vector<std::shared_ptr<Waiter>>>(std::move(group)), executor});
  }
}

void ClusterView::close() {
  std::lock_guard lock(mutex_);
  closed_ = true;
  wake(readers_);
  wake(watchers_);
}

void ClusterView::set_feed_error(std::string error) {
  std::lock_guard lock(mutex_);
  feed_error_ = std::move(error);
}

bool ClusterView::loaded() const {
  std::lock_guard lock(mutex_);
  return loaded_;
}

uint64_t ClusterView::revision() const {
  std::lock_guard lock(mutex_);
  return revision_;
}

std::string ClusterView::feed_error() const {
  std::lock_guard lock(mutex_);
  return feed_error_;
}

size_t ClusterView::watchers() const {
  std::lock_guard lock(mutex_);
  return watchers_.size();
}

std::optional<std::string> ClusterView::peers_after(std::optional<uint64_t> since) const {
  std::lock_guard lock(mutex_);
  if (!since) return snapshot_json(false);
  if (*since == revision_) return std::nullopt;
  if (*since < base_ || *since > revision_) return snapshot_json(true);
  if (answers_.size() > 256) answers_.clear();  // watchers scattered over many revisions
  auto cached = answers_.find(*since);
  if (cached == answers_.end()) cached = answers_.emplace(*since, changes_json(*since)).first;
  return cached->second;
}

std::string ClusterView::snapshot_json(bool reset) const {
  if (!snapshot_cache_) {
    snapshot_cache_ = std::make_shared<const std::string>(json::serialize(proto::to_json(state_.snapshot(revision_))));
  }
  if (!reset) return *snapshot_cache_;
  return "{\"reset\":true," + snapshot_cache_->substr(1);
}

// Revisions in the view follow each other one by one, so the first change after `since` is found
// by arithmetic.
std::string ClusterView::changes_json(uint64_t since) const {
  size_t first = since - base_;
  size_t last = std::min(retained_.size(), first + proto::kMaxChangesPerAnswer);
  std::string out = "{\"revision\":" + std::to_string(retained_[last - 1].revision) + ",\"changes\":[";
  for (size_t i = first; i < last; ++i) {
    if (i != first) out += ',';
    out += retained_[i].json;
  }
  out += "]}";
  return out;
}

asio::awaitable<bool> ClusterView::wait_until(uint64_t revision, std::chrono::steady_clock::time_point deadline) {
  return wait([revision](uint64_t current) { return current >= revision; }, deadline, &ClusterView::readers_);
}

asio::awaitable<bool> ClusterView::wait_past(uint64_t revision, std::chrono::steady_clock::time_point deadline) {
  return wait([revision](uint64_t current) { return current != revision; }, deadline, &ClusterView::watchers_);
}

asio::awaitable<bool> ClusterView::wait(std::function<bool(uint64_t)> done,
                                        std::chrono::steady_clock::time_point deadline, Waiters ClusterView::*waiting) {
  auto waiter = std::make_shared<Waiter>(co_await asio::this_coro::executor);
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (loaded_ && done(revision_)) {
        (this->*waiting).erase(waiter.get());
        co_return true;
      }
      if (closed_ || std::chrono::steady_clock::now() >= deadline) {
        (this->*waiting).erase(waiter.get());
        co_return false;
      }
      (this->*waiting)[waiter.get()] = waiter;
    }
    // No suspension between registering and starting the wait: a wake-up posted meanwhile runs
    // after the wait has begun, and is never lost.
    waiter->timer.expires_at(deadline);
    co_await waiter->timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

std::vector<proto::Endpoint> ClusterView::endpoints(const std::string& host_id) const {
  std::lock_guard lock(mutex_);
  std::vector<proto::Endpoint> out;
  for (const auto& [name, endpoint] : state_.endpoints) {
    if (host_id.empty() || endpoint.host_id == host_id) out.push_back(endpoint);
  }
  return out;
}

std::vector<proto::Host> ClusterView::hosts() const {
  std::lock_guard lock(mutex_);
  std::vector<proto::Host> out;
  for (const auto& [id, host] : state_.hosts) out.push_back(host);
  return out;
}

std::map<std::string, uint64_t> ClusterView::container_counts() const {
  std::lock_guard lock(mutex_);
  std::map<std::string, uint64_t> out;
  for (const auto& [name, endpoint] : state_.endpoints) {
    if (!proto::is_gateway_name(name)) ++out[endpoint.host_id];
  }
  return out;
}

}  // namespace vx::ipam
