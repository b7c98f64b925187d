#include "notify/retry_policy.hpp"

#include <gtest/gtest.h>

namespace parley::notify {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

TEST(RetryPolicy, DefaultScheduleDoublesFromOneSecondForEightAttempts) {
  RetryPolicy policy;
  const seconds expected[] = {seconds(1), seconds(2), seconds(4), seconds(8), seconds(16), seconds(32), seconds(64)};
  for (int attempts = 1; attempts <= 7; ++attempts) {
    auto delay = policy.delay_after(attempts);
    ASSERT_TRUE(delay.has_value()) << attempts;
    EXPECT_EQ(*delay, expected[attempts - 1]) << attempts;
  }
  EXPECT_FALSE(policy.delay_after(8).has_value());  // the 8th failure is the last: given up
  EXPECT_FALSE(policy.delay_after(0).has_value());
}

TEST(RetryPolicy, DelayIsCappedAtTheMaximum) {
  RetryPolicy policy;
  policy.first_delay = minutes(1);
  policy.max_attempts = 100;
  EXPECT_EQ(*policy.delay_after(1), minutes(1));
  EXPECT_EQ(*policy.delay_after(3), minutes(4));
  EXPECT_EQ(*policy.delay_after(4), minutes(5));
  EXPECT_EQ(*policy.delay_after(99), minutes(5));  // no overflow however many attempts
}

}  // namespace
}  // namespace parley::notify
