// Group commit for coroutines on one executor: the first call is sent at once, and the calls that
// arrive while a batch is in flight wait and go together as the next batch. Under no load nothing
// waits; under load, one round trip serves many callers. Not thread-safe: use from one thread.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "common/error.h"

namespace vx {

template <typename Item, typename Outcome>
class Batcher {
  static_assert(std::is_constructible_v<Outcome, Error>, "outcomes must be able to carry an Error");

 public:
  // Must return exactly one outcome per item, in order.
  using Flush = std::function<boost::asio::awaitable<std::vector<Outcome>>(const std::vector<Item>&)>;

  Batcher(boost::asio::any_io_executor executor, size_t max_batch, Flush flush)
      : executor_(std::move(executor)), max_batch_(max_batch), flush_(std::move(flush)) {}

  boost::asio::awaitable<Outcome> submit(Item item) {
    auto slot = std::make_shared<Slot>(executor_);
    queue_.push_back({std::move(item), slot});
    if (!flushing_) {
      flushing_ = true;
      boost::asio::co_spawn(executor_, drain(), boost::asio::detached);
    }
    // co_spawn may run drain() inline, up to its first suspension: the outcome can be in already.
    // Otherwise wait; the timer never fires, drain() cancels it once the outcome is in.
    if (!slot->outcome) co_await slot->done.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    co_return std::move(*slot->outcome);
  }

 private:
  struct Slot {
    explicit Slot(boost::asio::any_io_executor executor)
        : done(executor, boost::asio::steady_timer::time_point::max()) {}
    boost::asio::steady_timer done;
    std::optional<Outcome> outcome;
  };
  struct Entry {
    Item item;
    std::shared_ptr<Slot> slot;
  };

  boost::asio::awaitable<void> drain() {
    while (!queue_.empty()) {
      size_t count = std::min(queue_.size(), max_batch_);
      std::vector<Entry> batch(std::make_move_iterator(queue_.begin()),
                               std::make_move_iterator(queue_.begin() + count));
      queue_.erase(queue_.begin(), queue_.begin() + count);
      std::vector<Item> items;
      items.reserve(batch.size());
      for (auto& entry : batch) items.push_back(std::move(entry.item));
      std::vector<Outcome> outcomes;
      try {
        outcomes = co_await flush_(items);
      } catch (const std::exception& e) {
        outcomes.clear();
        outcomes.resize(batch.size(), Outcome(internal("batch_failed", e.what())));
      }
      for (size_t i = 0; i < batch.size(); ++i) {
        if (i < outcomes.size()) {
          batch[i].slot->outcome.emplace(std::move(outcomes[i]));
        } else {
          batch[i].slot->outcome.emplace(internal("batch_failed", "the batch answered too few outcomes"));
        }
        batch[i].slot->done.cancel();
      }
    }
    flushing_ = false;
  }

  boost::asio::any_io_executor executor_;
  size_t max_batch_;
  Flush flush_;
  std::vector<Entry> queue_;
  bool flushing_ = false;
};

}  // namespace vx
