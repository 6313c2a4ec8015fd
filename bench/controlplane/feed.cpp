#include "feed.h"

#include <boost/json.hpp>

namespace cpbench {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

// The IPAM holds a long-poll for wait_ms: the client's deadline must come later than that.
constexpr std::chrono::seconds kLongPollSlack{10};
constexpr std::chrono::seconds kSnapshotTimeout{30};

json::object parse_object(const std::string& body, const std::string& what, json::storage_ptr storage = {}) {
  boost::system::error_code ec;
  json::value value = json::parse(body, ec, std::move(storage));
  if (ec || !value.is_object()) throw FeedBroken(what + ": the answer is not a JSON object: " + body.substr(0, 200));
  return std::move(value.as_object());
}

uint64_t revision_of(const json::object& answer) {
  const json::value* revision = answer.if_contains("revision");
  if (!revision || !(revision->is_uint64() || (revision->is_int64() && revision->as_int64() >= 0))) {
    throw FeedBroken("an answer without a non-negative integer \"revision\": " +
                     json::serialize(answer).substr(0, 200));
  }
  return revision->to_number<uint64_t>();
}

}  // namespace

FeedFollower::FeedFollower(asio::any_io_executor executor, uint16_t port, FeedSink& sink)
    : connection_(std::move(executor), port), sink_(sink) {}

asio::awaitable<void> FeedFollower::follow(uint64_t since, std::chrono::milliseconds wait) {
  revision_ = since;
  for (;;) {
    std::string target = "/peers?since=" + std::to_string(revision_) + "&wait_ms=" + std::to_string(wait.count());
    Answer answer = co_await send_expecting_success(connection_, "GET", target, "", wait + kLongPollSlack);
    ++counters_.answers;
    counters_.bytes += answer.bytes;
    // The answer's nodes are freed at once, not one by one: thousands of answers a second arrive here.
    json::monotonic_resource nodes;
    take(parse_object(answer.body, "GET " + target, &nodes));
  }
}

void FeedFollower::take(const json::object& answer) {
  uint64_t asked = revision_;
  uint64_t next = revision_of(answer);
  if (const json::value* reset = answer.if_contains("reset"); reset && reset->is_bool() && reset->as_bool()) {
    ++counters_.resets;
    sink_.on_snapshot(answer);
    revision_ = next;
    return;
  }
  take_changes(answer);
  if (next != revision_) {
    throw FeedBroken("since=" + std::to_string(asked) + " answered revision " + std::to_string(next) +
                     " but its last change is at " + std::to_string(revision_));
  }
}

// Changes come in revision order, each newer than the one asked from; the answer's revision is
// the last one's (or the one asked from, when nothing changed).
void FeedFollower::take_changes(const json::object& answer) {
  const json::value* changes = answer.if_contains("changes");
  if (!changes || !changes->is_array()) {
    throw FeedBroken("an answer that is neither a reset nor has \"changes\": " +
                     json::serialize(answer).substr(0, 200));
  }
  for (const json::value& value : changes->as_array()) {
    if (!value.is_object()) throw FeedBroken("a change that is not an object: " + json::serialize(value));
    const json::object& change = value.as_object();
    uint64_t revision = revision_of(change);
    if (revision <= revision_) {
      throw FeedBroken("change at revision " + std::to_string(revision) + " after revision " +
                       std::to_string(revision_) + ": out of order or repeated");
    }
    revision_ = revision;
    ++counters_.changes;
    sink_.on_change(change);
  }
}

asio::awaitable<Snapshot> fetch_snapshot(HttpConnection& connection) {
  Answer answer = co_await send_expecting_success(connection, "GET", "/peers", "", kSnapshotTimeout);
  json::object view = parse_object(answer.body, "GET /peers");
  uint64_t revision = revision_of(view);
  co_return Snapshot{std::move(view), revision, answer.body.size()};
}

}  // namespace cpbench
