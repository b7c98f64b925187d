#include "cluster/local_presence.hpp"

#include <gtest/gtest.h>

namespace parley::cluster {
namespace {

TEST(LocalPresence, OnlineWhileAnyConnectionThenAfterAGracePeriod) {
  FakeClock clock;
  LocalPresence presence(clock);
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

TEST(LocalPresence, AReconnectWithinTheGraceDoesNotFlap) {
  FakeClock clock;
  LocalPresence presence(clock);
  presence.connected(2);
  presence.disconnected(2);
  clock.advance(3000);
  EXPECT_FALSE(presence.connected(2)) << "still online: no new announcement";
  clock.advance(60000);
  EXPECT_TRUE(presence.expire_offline(10000).empty());
}

TEST(LocalPresence, TouchRecordsLastSeen) {
  FakeClock clock(5000);
  LocalPresence presence(clock);
  presence.touch(3);
  EXPECT_FALSE(presence.state(3).online);
  EXPECT_EQ(presence.state(3).last_seen_at, 5000);
}

}  // namespace
}  // namespace parley::cluster

namespace parley::cluster {
namespace {

TEST(LocalPresence, OnlyTheLatestDropOfAUserCounts) {
  FakeClock clock;
  LocalPresence presence(clock);
  presence.connected(4);
  presence.disconnected(4);  // drop at t0
  clock.advance(5000);
  presence.connected(4);
  presence.disconnected(4);  // drop at t0 + 5 s
  clock.advance(5000);
  EXPECT_TRUE(presence.expire_offline(10000).empty()) << "the first drop's grace is over, not the last one's";
  clock.advance(5000);
  EXPECT_EQ(presence.expire_offline(10000), std::vector<Id>{4});
  EXPECT_TRUE(presence.expire_offline(10000).empty()) << "announced once";
}

TEST(LocalPresence, StillConnectedUsersNeverExpire) {
  FakeClock clock;
  LocalPresence presence(clock);
  presence.connected(5);
  presence.connected(5);
  presence.disconnected(5);
  clock.advance(60000);
  EXPECT_TRUE(presence.expire_offline(10000).empty());
  EXPECT_TRUE(presence.state(5).online);
}

TEST(LocalPresence, ManyUsersExpireInTheOrderTheyLeft) {
  FakeClock clock;
  LocalPresence presence(clock);
  for (Id user = 1; user <= 100; ++user) presence.connected(user);
  for (Id user = 1; user <= 100; ++user) {
    presence.disconnected(user);
    clock.advance(10);
  }
  clock.advance(10000 - 1000);  // the first 1000 ms of drops (users 1..10 and part of 11) are over
  const auto gone = presence.expire_offline(10000);
  ASSERT_FALSE(gone.empty());
  EXPECT_EQ(gone.front(), 1);
  EXPECT_LE(gone.size(), 11u);
  clock.advance(10000);
  EXPECT_EQ(gone.size() + presence.expire_offline(10000).size(), 100u);
}

}  // namespace
}  // namespace parley::cluster
