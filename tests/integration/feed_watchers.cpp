// The watchers of feed_watchers.h.
#include "feed_watchers.h"

#include "support/process.h"

namespace vx::test {
namespace {

// Takes one good answer as an agent does: a reset replaces the view, changes are applied to it.
// What went wrong, and what was taken, go to `log`. Returns whether it was a reset.
bool take(View& view, const Answer& answer, std::vector<std::string>& log) {
  if (answer.reset) {
    view = answer.view;
    log.push_back("reset at " + std::to_string(answer.revision));
    return true;
  }
  for (const auto& change : answer.changes) {
    if (auto problem = apply(view, change); !problem.empty()) log.push_back(problem);
  }
  if (!answer.changes.empty()) {
    log.push_back(std::to_string(answer.changes.size()) + " changes up to " + std::to_string(answer.revision));
  }
  return false;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Watcher

Watcher::Watcher(std::vector<uint16_t> ports, int64_t since) : ports_(std::move(ports)), revision_(since) {
  thread_ = std::thread([this] { run(); });
}

Watcher::~Watcher() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

bool Watcher::join(milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (!done_ && Clock::now() < deadline) std::this_thread::sleep_for(20ms);
  if (!done_) return false;
  thread_.join();
  return true;
}

std::vector<json::object> Watcher::changes() {
  std::lock_guard lock(mutex_);
  return changes_;
}

std::vector<std::string> Watcher::problems() {
  std::lock_guard lock(mutex_);
  return problems_;
}

std::set<uint16_t> Watcher::ports_used() {
  std::lock_guard lock(mutex_);
  return used_;
}

void Watcher::run() {
  auto deadline = Clock::now() + 60s;
  size_t current = 0;
  while (!stop_ && Clock::now() < deadline && !(target_ >= 0 && revision_ >= target_)) {
    polling_ = true;
    Answer answer = poll(ports_[current], revision_, 3000);
    polling_ = false;
    std::lock_guard lock(mutex_);
    if (answer.status == 0 || answer.status >= 500) {
      // That replica is gone (or sick): carry on with the next one, from the same revision.
      if (ports_.size() > 1) {
        current = (current + 1) % ports_.size();
        ++failovers_;
      }
      std::this_thread::sleep_for(50ms);
      continue;
    }
    used_.insert(ports_[current]);
    if (answer.status != 200 || !answer.problem.empty() || answer.reset) {
      problems_.push_back("since=" + std::to_string(revision_) + ": " + (answer.reset ? "reset: " : "") +
                          describe(answer));
      if (problems_.size() > 5) break;
      continue;
    }
    changes_.insert(changes_.end(), answer.changes.begin(), answer.changes.end());
    revision_ = answer.revision;
  }
  if (!(target_ >= 0 && revision_ >= target_)) {
    std::lock_guard lock(mutex_);
    problems_.push_back("stopped at revision " + std::to_string(revision_) + ", target " +
                        std::to_string(target_));
  }
  done_ = true;
}

void expect_same_feed(Watcher& one, Watcher& other, int64_t revision) {
  one.finish_at(revision);
  other.finish_at(revision);
  ASSERT_TRUE(one.join(20s));
  ASSERT_TRUE(other.join(20s));
  EXPECT_EQ(one.problems(), std::vector<std::string>());
  EXPECT_EQ(other.problems(), std::vector<std::string>());
  EXPECT_EQ(with_revisions(one.changes()), with_revisions(other.changes()));
}

// ---------------------------------------------------------------------------------------------
// converge()

Convergence converge(uint16_t port, View view, int64_t since, milliseconds deadline) {
  Convergence out;
  out.view = std::move(view);
  out.revision = since;
  auto start = Clock::now();
  while (since_ms(start) < deadline) {
    Answer answer = poll(port, out.revision, 1000);
    if (answer.status != 200 || !answer.problem.empty()) {
      out.log.push_back(describe(answer));
      std::this_thread::sleep_for(100ms);
      continue;
    }
    if (take(out.view, answer, out.log)) out.saw_reset = true;
    out.revision = answer.revision;
    Answer truth = snapshot(port);
    if (truth.status == 200 && truth.revision == out.revision && truth.view == out.view) {
      out.converged = true;
      return out;
    }
  }
  return out;
}

void expect_reset_to(const Convergence& watcher, const View& wanted, const std::string& note) {
  EXPECT_TRUE(watcher.saw_reset) << note << joined(watcher.log);
  EXPECT_TRUE(watcher.converged) << joined(watcher.log) << watcher.view;
  EXPECT_EQ(watcher.view, wanted);
}

// ---------------------------------------------------------------------------------------------
// Follower

Follower::Follower(uint16_t port, View view, int64_t since) : port_(port), view_(std::move(view)), revision_(since) {
  thread_ = std::thread([this] { run(); });
}

Follower::~Follower() {
  stop_ = true;
  thread_.join();
}

std::pair<View, int64_t> Follower::state() {
  std::lock_guard lock(mutex_);
  return {view_, revision_};
}

std::vector<std::string> Follower::log() {
  std::lock_guard lock(mutex_);
  return log_;
}

bool Follower::converges(milliseconds timeout) {
  return wait_until([&] {
    Answer truth = snapshot(port_);
    auto [view, revision] = state();
    return truth.status == 200 && truth.revision == revision && truth.view == view;
  }, timeout);
}

void Follower::run() {
  while (!stop_) {
    int64_t since;
    {
      std::lock_guard lock(mutex_);
      since = revision_;
    }
    Answer answer = poll(port_, since, 1000);
    std::unique_lock lock(mutex_);
    if (answer.status != 200 || !answer.problem.empty()) {
      if (log_.empty() || log_.back() != describe(answer)) log_.push_back(describe(answer));
      lock.unlock();
      std::this_thread::sleep_for(100ms);
      continue;
    }
    if (take(view_, answer, log_)) ++resets_;
    revision_ = answer.revision;
  }
}

void expect_followed_to(Follower& live, const View& wanted) {
  EXPECT_TRUE(live.converges(10s)) << joined(live.log()) << live.state().first;
  EXPECT_GE(live.resets(), 1) << joined(live.log());
  EXPECT_EQ(live.state().first, wanted);
}

}  // namespace vx::test
