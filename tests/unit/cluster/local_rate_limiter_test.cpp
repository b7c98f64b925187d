#include <optional>

#include <gtest/gtest.h>

#include "cluster/local_rate_limiter.hpp"

namespace parley::cluster {
namespace {

TEST(LocalRateLimiter, BurstThenRefill) {
  FakeClock clock;
  LocalRateLimiter limiter(20, 2.0, clock);
  for (int i = 0; i < 20; ++i) EXPECT_TRUE(limiter.try_acquire(1).allowed) << i;
  auto refused = limiter.try_acquire(1);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_ms, 500);
  clock.advance(499);
  EXPECT_FALSE(limiter.try_acquire(1).allowed);
  clock.advance(1);
  EXPECT_TRUE(limiter.try_acquire(1).allowed);
  EXPECT_FALSE(limiter.try_acquire(1).allowed);
}

TEST(LocalRateLimiter, KeysAreIndependent) {
  FakeClock clock;
  LocalRateLimiter limiter(1, 1.0, clock);
  EXPECT_TRUE(limiter.try_acquire(1).allowed);
  EXPECT_FALSE(limiter.try_acquire(1).allowed);
  EXPECT_TRUE(limiter.try_acquire(2).allowed);
}

TEST(LocalRateLimiter, RefillNeverExceedsTheBurst) {
  FakeClock clock;
  LocalRateLimiter limiter(3, 10.0, clock);
  EXPECT_TRUE(limiter.try_acquire(9).allowed);
  clock.advance(60'000);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.try_acquire(9).allowed);
  EXPECT_FALSE(limiter.try_acquire(9).allowed);
}

}  // namespace
}  // namespace parley::cluster

namespace parley::cluster {
namespace {

TEST(LocalRateLimiter, AcquireDecidesInlineOnTheCallersThread) {
  FakeClock clock;
  LocalRateLimiter limiter(1, 1.0, clock);
  RateLimiter& shared = limiter;
  std::optional<RateDecision> first;
  shared.acquire(7, [&](RateDecision d) { first = d; });
  ASSERT_TRUE(first) << "decided before acquire() returned";
  EXPECT_TRUE(first->allowed);
  std::optional<RateDecision> second;
  shared.acquire(7, [&](RateDecision d) { second = d; });
  ASSERT_TRUE(second);
  EXPECT_FALSE(second->allowed);
  EXPECT_EQ(second->retry_after_ms, 1000);
}

TEST(UnlimitedRateLimiter, AllowsEverything) {
  UnlimitedRateLimiter limiter;
  int allowed = 0;
  for (int i = 0; i < 1000; ++i) limiter.acquire(1, [&](RateDecision d) { allowed += d.allowed; });
  EXPECT_EQ(allowed, 1000);
}

}  // namespace
}  // namespace parley::cluster
