#include "common/batcher.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

namespace vx {
namespace {

namespace asio = boost::asio;

TEST(Batcher, GathersCallsMadeWhileABatchIsInFlight) {
  asio::io_context io;
  std::vector<size_t> batch_sizes;
  Batcher<int, Result<int>> batcher(io.get_executor(), 4, [&](const std::vector<int>& items) -> asio::awaitable<std::vector<Result<int>>> {
    batch_sizes.push_back(items.size());
    asio::steady_timer pause(io, std::chrono::milliseconds(5));  // a round trip
    co_await pause.async_wait(asio::use_awaitable);
    std::vector<Result<int>> out;
    for (int item : items) out.emplace_back(item * 10);
    co_return out;
  });
  std::vector<int> results(10, -1);
  for (int i = 0; i < 10; ++i) {
    asio::co_spawn(io, [&, i]() -> asio::awaitable<void> { results[i] = *co_await batcher.submit(i); },
                   asio::detached);
  }
  io.run();
  for (int i = 0; i < 10; ++i) EXPECT_EQ(results[i], i * 10);
  // The first call goes alone; the nine that queued behind it go in batches of at most four.
  EXPECT_EQ(batch_sizes, (std::vector<size_t>{1, 4, 4, 1}));
}

TEST(Batcher, AnIdleBatcherSendsAtOnce) {
  asio::io_context io;
  int flushes = 0;
  Batcher<int, Result<int>> batcher(io.get_executor(), 8, [&](const std::vector<int>& items) -> asio::awaitable<std::vector<Result<int>>> {
    ++flushes;
    co_return std::vector<Result<int>>(items.begin(), items.end());
  });
  int result = 0;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    result = *co_await batcher.submit(7);
    result += *co_await batcher.submit(8);
  }, asio::detached);
  io.run();
  EXPECT_EQ(result, 15);
  EXPECT_EQ(flushes, 2);
}

TEST(Batcher, AThrowingFlushFailsItsCallersInsteadOfHangingThem) {
  asio::io_context io;
  bool thrown = false;
  Batcher<int, Result<int>> batcher(io.get_executor(), 8, [&](const std::vector<int>& items) -> asio::awaitable<std::vector<Result<int>>> {
    if (!thrown) {
      thrown = true;
      throw std::runtime_error("bug");
    }
    co_return std::vector<Result<int>>(items.begin(), items.end());
  });
  std::optional<Result<int>> failed, later;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    failed.emplace(co_await batcher.submit(1));
    later.emplace(co_await batcher.submit(2));
  }, asio::detached);
  io.run();
  ASSERT_TRUE(failed && later);
  ASSERT_FALSE(*failed);
  EXPECT_EQ(failed->error().code, "batch_failed");
  ASSERT_TRUE(*later);  // and the batcher still works
  EXPECT_EQ(**later, 2);
}

}  // namespace
}  // namespace vx
