#include "cluster/local_typing.hpp"

#include <gtest/gtest.h>

namespace parley::cluster {
namespace {

TEST(LocalTyping, StartRefreshStop) {
  FakeClock clock;
  LocalTyping typing(clock, std::chrono::milliseconds(5000));
  EXPECT_TRUE(typing.started({1, 10}));
  EXPECT_FALSE(typing.started({1, 10})) << "a refresh is not a new signal";
  EXPECT_TRUE(typing.started({2, 10})) << "another conversation";
  EXPECT_TRUE(typing.stopped({1, 10}));
  EXPECT_FALSE(typing.stopped({1, 10}));
}

TEST(LocalTyping, ExpiresAfterTheTimeoutUnlessRefreshed) {
  FakeClock clock;
  LocalTyping typing(clock, std::chrono::milliseconds(5000));
  typing.started({1, 10});
  typing.started({1, 11});
  clock.advance(3000);
  typing.started({1, 11});  // refreshed: lasts until 8000
  clock.advance(2000);
  auto expired = typing.expire();
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0], (TypingKey{1, 10}));
  EXPECT_TRUE(typing.expire().empty());
  clock.advance(3000);
  EXPECT_EQ(typing.expire().size(), 1u);
}

}  // namespace
}  // namespace parley::cluster
