#include "chat/presence.hpp"

#include <gtest/gtest.h>

namespace parley::chat {
namespace {

TEST(Presence, OnlineWhileAnyConnectionThenAfterAGracePeriod) {
  FakeClock clock;
  Presence presence(clock);
  EXPECT_FALSE(presence.state(1).online);
  EXPECT_TRUE(presence.connected(1)) << "came online";
  EXPECT_FALSE(presence.connected(1)) << "second device";
  presence.disconnected(1);
  EXPECT_TRUE(presence.state(1).online);
  presence.disconnected(1);
  EXPECT_TRUE(presence.state(1).online) << "grace period";
  clock.advance(9999);
  EXPECT_TRUE(presence.expire_offline(10000).empty());
  clock.advance(1);
  EXPECT_EQ(presence.expire_offline(10000), std::vector<Id>{1});
  EXPECT_FALSE(presence.state(1).online);
  EXPECT_EQ(presence.state(1).last_seen_at, clock.now_ms() - 10000);
}

TEST(Presence, AReconnectWithinTheGraceDoesNotFlap) {
  FakeClock clock;
  Presence presence(clock);
  presence.connected(2);
  presence.disconnected(2);
  clock.advance(3000);
  EXPECT_FALSE(presence.connected(2)) << "still online: no new announcement";
  clock.advance(60000);
  EXPECT_TRUE(presence.expire_offline(10000).empty());
}

TEST(Presence, TouchRecordsLastSeen) {
  FakeClock clock(5000);
  Presence presence(clock);
  presence.touch(3);
  EXPECT_FALSE(presence.state(3).online);
  EXPECT_EQ(presence.state(3).last_seen_at, 5000);
}

}  // namespace
}  // namespace parley::chat
