#include "chat/known_users.hpp"

#include <gtest/gtest.h>

namespace parley::chat {
namespace {

TEST(KnownUsers, RemembersAndForgets) {
  KnownUsers users;
  EXPECT_FALSE(users.contains(42));
  users.remember(42);
  EXPECT_TRUE(users.contains(42));
  users.forget(42);
  EXPECT_FALSE(users.contains(42));
}

TEST(KnownUsers, StopsRememberingPastItsCapacity) {
  KnownUsers users(160);  // 11 per shard
  for (Id id = 1; id <= 10'000; ++id) users.remember(id);
  int known = 0;
  for (Id id = 1; id <= 10'000; ++id) known += users.contains(id);
  EXPECT_LE(known, 16 * 11);
  EXPECT_GE(known, 160);
}

}  // namespace
}  // namespace parley::chat
