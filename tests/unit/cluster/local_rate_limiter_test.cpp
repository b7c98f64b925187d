#include <gtest/gtest.h>

#include "cluster/rate_limiter.hpp"

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
