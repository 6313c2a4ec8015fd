#include "ipam/redis/feed.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <map>
#include <set>

#include "ipam/redis/keys.h"

namespace vx::ipam {

namespace asio = boost::asio;

namespace {

// How long one XREAD waits for a change before it is issued again.
constexpr auto kBlock = std::chrono::milliseconds(1000);
constexpr auto kRetryPause = std::chrono::milliseconds(100);
constexpr const char* kPage = "1000";
// How many of the latest changes a view loads with its snapshot, so that watchers at most this far
// behind go on without a reset after a replica restarts.
constexpr size_t kHistory = 10000;

struct LogEntry {
  std::string id;
  bool reset = false;
  proto::Change change;
};

// One stream entry, [id, [field, value, ...]], as scripts.h writes it.
Result<LogEntry> entry_of(const RedisReply& reply) {
  if (reply.elements.size() != 2 || reply.elements[1].elements.size() % 2 != 0) {
    return internal("bad_change", "a change log entry is not [id, [field, value, ...]]");
  }
  std::map<std::string, std::string> fields;
  const auto& flat = reply.elements[1].elements;
  for (size_t i = 0; i + 1 < flat.size(); i += 2) fields[flat[i].str] = flat[i + 1].str;
  LogEntry entry;
  entry.id = reply.elements[0].str;
  entry.change.revision = text_number(fields["revision"]);
  const std::string& op = fields["op"];
  entry.reset = op == "reset";
  if (entry.reset) return entry;
  if (op != "put" && op != "delete") return internal("bad_change", "a change log entry has op '" + op + "'");
  entry.change.op = op == "put" ? proto::Op::kPut : proto::Op::kDelete;
  if (fields["kind"] == "host") {
    entry.change.kind = proto::Kind::kHost;
    entry.change.host = {fields["host_id"], fields["underlay_ip"], fields["agent_url"], fields["alive"] == "1"};
  } else {
    entry.change.kind = proto::Kind::kEndpoint;
    const std::string& network = fields["network"];
    entry.change.endpoint = {fields["container_name"], fields["ip_address"], fields["host_id"],
                             fields["mac_address"], network.empty() ? std::string(proto::kDefaultNetwork) : network};
  }
  return entry;
}

Result<std::vector<LogEntry>> entries_of(const RedisReply& list) {
  std::vector<LogEntry> out;
  for (const auto& element : list.elements) {
    auto entry = entry_of(element);
    if (!entry) return entry.error();
    out.push_back(std::move(*entry));
  }
  return out;
}

std::map<std::string, std::string> as_map(const RedisReply& flat) {
  std::map<std::string, std::string> out;
  for (size_t i = 0; i + 1 < flat.elements.size(); i += 2) out[flat.elements[i].str] = flat.elements[i + 1].str;
  return out;
}

Error not_following(const std::string& why) { return unavailable("feed_broken", why); }

}  // namespace

std::vector<std::string> mark_lifetime_command() {
  const lua::Code& mark = lua::kMarkLifetime;
  std::vector<std::string> eval{"EVAL", mark.source, std::to_string(mark.keys.size())};
  eval.insert(eval.end(), mark.keys.begin(), mark.keys.end());
  return eval;
}

std::shared_ptr<RedisConnection> connect_to_registry(asio::io_context& io, const RedisEndpoint& redis,
                                                     std::chrono::milliseconds timeout) {
  return std::make_shared<RedisConnection>(io, redis, timeout, mark_lifetime_command());
}

RedisFeed::RedisFeed(asio::io_context& io, const RedisEndpoint& redis, std::chrono::milliseconds timeout,
                     std::chrono::milliseconds host_ttl, ClusterView& view)
    : io_(io),
      host_ttl_(host_ttl),
      view_(view),
      reader_(connect_to_registry(io, redis, timeout + kBlock)),
      sweeper_(connect_to_registry(io, redis, timeout)),
      position_(lua::kFeedPosition),
      sweep_hosts_(lua::kSweepHosts),
      watch_wake_(io) {}

void RedisFeed::report(const Status& status) {
  std::string error = status ? "" : status.error().detail;
  if (error == last_error_) return;
  error.empty() ? spdlog::info("following the change log again")
                : spdlog::warn("cannot follow the change log: {}", error);
  last_error_ = error;
  view_.set_feed_error(error);
}

asio::awaitable<void> RedisFeed::follow() {
  asio::steady_timer pause(io_);
  bool reload = true;
  for (;;) {
    Status step = Ok{};
    if (reload) {
      step = co_await load();
      if (step) reload = false;
    }
    if (step) {
      auto next = co_await tail();
      if (next) reload = *next == Next::kReload;
      else step = next.error();
    }
    report(step);
    if (!step) {
      pause.expires_after(kRetryPause);
      co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
    }
  }
}

// Scans without a snapshot's consistency, then replays every change logged since the scan began:
// the result is exactly the state at the last change replayed.
asio::awaitable<Status> RedisFeed::load() {
  for (;;) {
    auto position = co_await position_.run(*reader_);
    if (!position) co_return position.error();
    proto::Snapshot snapshot;
    snapshot.revision = position->revision;
    std::string cursor = position->cursor;
    if (Status scanned = co_await scan(snapshot); !scanned) co_return scanned;

    uint64_t revision = snapshot.revision;
    PeerState state(std::move(snapshot));
    bool again = false;
    for (bool more = true; more && !again;) {
      std::vector<std::string> range{"XRANGE", keys::kChanges, cursor.empty() ? "-" : "(" + cursor, "+", "COUNT",
                                     kPage};
      auto reply = co_await reader_->command(std::move(range));
      if (!reply) co_return reply.error();
      auto entries = entries_of(*reply);
      if (!entries) co_return entries.error();
      more = !entries->empty();
      for (const auto& entry : *entries) {
        if (entry.reset || entry.change.revision != revision + 1) {
          again = true;  // a new lifetime began while scanning, or the log was trimmed past us
          break;
        }
        state.apply(entry.change);
        revision = entry.change.revision;
        cursor = entry.id;
      }
    }
    if (again) continue;
    auto leading = co_await history(cursor, revision);
    if (!leading) co_return leading.error();
    spdlog::info("loaded the cluster at revision {}: {} hosts, {} endpoints, the {} changes before it", revision,
                 state.hosts.size(), state.endpoints.size(), leading->size());
    cursor_ = cursor;
    view_.load(state.snapshot(revision), *leading);
    co_return Ok{};
  }
}

// The changes of this lifetime that end at `revision` (the entry at `cursor`), newest last: what
// watchers of another replica, or of this one before it restarted, may need to go on from.
asio::awaitable<Result<std::vector<proto::Change>>> RedisFeed::history(const std::string& cursor, uint64_t revision) {
  std::vector<proto::Change> out;
  if (cursor.empty()) co_return out;
  std::vector<std::string> range{"XREVRANGE", keys::kChanges, cursor, "-", "COUNT", std::to_string(kHistory)};
  auto reply = co_await reader_->command(std::move(range));
  if (!reply) co_return reply.error();
  auto entries = entries_of(*reply);
  if (!entries) co_return entries.error();
  for (const auto& entry : *entries) {
    if (entry.reset || entry.change.revision != revision) break;  // the lifetime begins, or a gap
    out.push_back(entry.change);
    --revision;
  }
  std::reverse(out.begin(), out.end());
  co_return out;
}

asio::awaitable<Status> RedisFeed::scan(proto::Snapshot& snapshot) {
  std::vector<std::string> underlay_cmd{"HGETALL", keys::kHostUnderlay};
  std::vector<std::string> agents_cmd{"HGETALL", keys::kHostAgents};
  std::vector<std::string> alive_cmd{"ZRANGE", keys::kHostsAlive, "0", "-1"};
  auto underlay = co_await reader_->command(std::move(underlay_cmd));
  if (!underlay) co_return underlay.error();
  auto agents = co_await reader_->command(std::move(agents_cmd));
  if (!agents) co_return agents.error();
  auto alive = co_await reader_->command(std::move(alive_cmd));
  if (!alive) co_return alive.error();
  auto agent_of = as_map(*agents);
  std::set<std::string> alive_ids;
  for (const auto& id : alive->elements) alive_ids.insert(id.str);
  for (const auto& [id, address] : as_map(*underlay)) {
    snapshot.hosts.push_back({id, address, agent_of[id], alive_ids.count(id) > 0});
  }

  std::string cursor = "0";
  do {
    std::vector<std::string> page_cmd{"HSCAN", keys::kContainerIps, cursor, "COUNT", kPage};
    auto page = co_await reader_->command(std::move(page_cmd));
    if (!page) co_return page.error();
    if (page->elements.size() != 2) co_return unexpected_reply("HSCAN", *page);
    cursor = page->elements[0].str;
    const auto& flat = page->elements[1].elements;
    if (flat.empty()) continue;
    std::vector<std::string> hosts_cmd{"HMGET", keys::kContainerHosts};
    std::vector<std::string> macs_cmd{"HMGET", keys::kContainerMacs};
    std::vector<std::string> networks_cmd{"HMGET", keys::kContainerNetworks};
    for (size_t i = 0; i < flat.size(); i += 2) {
      for (auto* command : {&hosts_cmd, &macs_cmd, &networks_cmd}) command->push_back(flat[i].str);
    }
    auto hosts = co_await reader_->command(std::move(hosts_cmd));
    if (!hosts) co_return hosts.error();
    auto macs = co_await reader_->command(std::move(macs_cmd));
    if (!macs) co_return macs.error();
    auto networks = co_await reader_->command(std::move(networks_cmd));
    if (!networks) co_return networks.error();
    for (size_t i = 0; i + 1 < flat.size(); i += 2) {
      std::string network = reply_text(*networks, i / 2);
      snapshot.endpoints.push_back({flat[i].str, flat[i + 1].str, reply_text(*hosts, i / 2), reply_text(*macs, i / 2),
                                    network.empty() ? std::string(proto::kDefaultNetwork) : network});
    }
  } while (cursor != "0");
  co_return Ok{};
}

asio::awaitable<Result<RedisFeed::Next>> RedisFeed::tail() {
  uint64_t revision = view_.revision();
  for (;;) {
    std::vector<std::string> read{"XREAD", "COUNT", kPage, "BLOCK", std::to_string(kBlock.count()),
                                  "STREAMS", keys::kChanges, cursor_.empty() ? "0-0" : cursor_};
    auto reply = co_await reader_->command(std::move(read));
    if (!reply) co_return reply.error();
    if (reply->is_error()) co_return not_following("XREAD failed: " + reply->str);
    if (reply->is_nil() || reply->elements.empty()) continue;
    const RedisReply& stream = reply->elements[0];
    if (stream.elements.size() != 2) co_return unexpected_reply("XREAD", *reply);
    auto entries = entries_of(stream.elements[1]);
    if (!entries) co_return entries.error();
    std::vector<proto::Change> batch;
    Next next = Next::kTail;
    for (const auto& entry : *entries) {
      if (entry.reset) {
        spdlog::info("the change log starts a new lifetime at revision {}: loading again", entry.change.revision);
        next = Next::kReload;
        break;
      }
      if (entry.change.revision != revision + 1) {
        spdlog::warn("the change log jumps from revision {} to {}: loading again", revision, entry.change.revision);
        next = Next::kReload;
        break;
      }
      batch.push_back(entry.change);
      revision = entry.change.revision;
      cursor_ = entry.id;
    }
    if (auto due = view_.apply(batch)) wake_watchers_at(*due);
    if (next == Next::kReload) co_return next;
  }
}

// The view held the watchers' wake-up back (its pace): wake them when it is due, once however many
// changes arrive meanwhile.
void RedisFeed::wake_watchers_at(std::chrono::steady_clock::time_point due) {
  if (watch_wake_armed_) return;
  watch_wake_armed_ = true;
  watch_wake_.expires_at(due);
  watch_wake_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;  // the feed is going away
    watch_wake_armed_ = false;
    view_.wake_due_watchers();
  });
}

asio::awaitable<void> RedisFeed::sweep() {
  asio::steady_timer timer(io_);
  const lua::SweepHosts::Args args{.ttl = static_cast<uint64_t>(host_ttl_.count())};
  auto every = std::min<std::chrono::milliseconds>(host_ttl_ / 4, std::chrono::milliseconds(250));
  std::string last_error;
  for (;;) {
    timer.expires_after(every);
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    auto reply = co_await sweep_hosts_.run(*sweeper_, args);
    std::string error = reply ? "" : reply.error().detail;
    if (error != last_error && !error.empty()) spdlog::warn("cannot sweep quiet hosts: {}", error);
    last_error = error;
    if (reply && reply->quiet > 0) spdlog::info("{} hosts went quiet", reply->quiet);
  }
}

}  // namespace vx::ipam
