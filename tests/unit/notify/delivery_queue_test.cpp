#include "notify/delivery_queue.hpp"

#include <gtest/gtest.h>

namespace parley::notify {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::seconds;

Delivery make(const std::string& id, Clock::time_point due) {
  Delivery d;
  d.id = id;
  d.body = "{}";
  d.due = due;
  return d;
}

TEST(DeliveryQueue, AtTheBoundTheOldestIsDropped) {
  const auto now = Clock::now();
  DeliveryQueue queue(2);
  EXPECT_EQ(queue.push(make("a", now)), 0u);
  EXPECT_EQ(queue.push(make("b", now)), 0u);
  EXPECT_EQ(queue.push(make("c", now)), 1u);
  EXPECT_EQ(queue.size(), 2u);
  EXPECT_EQ(queue.take_due(now)->id, "b");
  EXPECT_EQ(queue.take_due(now)->id, "c");
  EXPECT_FALSE(queue.take_due(now).has_value());
}

TEST(DeliveryQueue, ARetryWaitingDoesNotHoldUpNewOnes) {
  const auto now = Clock::now();
  DeliveryQueue queue(10);
  queue.push(make("a", now));
  auto a = queue.take_due(now);
  ASSERT_TRUE(a);
  a->due = now + seconds(4);
  queue.requeue(std::move(*a));
  queue.push(make("b", now));
  EXPECT_EQ(queue.take_due(now)->id, "b");
  EXPECT_FALSE(queue.take_due(now).has_value());  // "a" is not due yet
  EXPECT_EQ(queue.next_due(), now + seconds(4));
  EXPECT_EQ(queue.take_due(now + seconds(4))->id, "a");
}

TEST(DeliveryQueue, ARequeuedRetryKeepsItsAgeForTheBound) {
  const auto now = Clock::now();
  DeliveryQueue queue(2);
  queue.push(make("a", now));
  auto a = queue.take_due(now);
  queue.push(make("b", now));
  queue.push(make("c", now));
  a->due = now + seconds(1);
  // "a" is older than both: putting it back at the bound drops it.
  EXPECT_EQ(queue.requeue(std::move(*a)), 1u);
  EXPECT_EQ(queue.size(), 2u);
  EXPECT_EQ(queue.take_due(now + seconds(2))->id, "b");
  EXPECT_EQ(queue.take_due(now + seconds(2))->id, "c");
}

TEST(DeliveryQueue, ClearCountsWhatWasWaiting) {
  DeliveryQueue queue(5);
  queue.push(make("a", Clock::now()));
  queue.push(make("b", Clock::now()));
  EXPECT_EQ(queue.clear(), 2u);
  EXPECT_EQ(queue.size(), 0u);
  EXPECT_FALSE(queue.next_due().has_value());
}

}  // namespace
}  // namespace parley::notify
