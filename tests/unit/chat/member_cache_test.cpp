#include "chat/member_cache.hpp"

#include <gtest/gtest.h>

#include "chat/chat_fixture.hpp"
#include "cluster/bus.hpp"

namespace parley::chat {
namespace {

using testing::ChatWorld;
using testing::FaultyStore;
using testing::StoreCall;

TEST(MemberCache, LoadsOnceSortedWithTheDigestOfTheList) {
  ChatWorld world;
  const Id a = world.user("alice"), b = world.user("bob");
  const Id c = world.group(a, {b});
  EXPECT_FALSE(world.members.peek(c)) << "nothing loaded yet";
  const auto reads = world.store().calls(StoreCall::members_of);
  auto first = world.members.get(c);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(first->exists());
  EXPECT_TRUE(std::is_sorted(first->ids->begin(), first->ids->end()));
  EXPECT_EQ(first->ids->size(), 2u);
  EXPECT_TRUE(first->contains(a) && first->contains(b));
  EXPECT_EQ(first->digest, cluster::members_digest(*first->ids));
  auto again = world.members.get(c);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->ids, first->ids) << "the cached list itself";
  EXPECT_EQ(world.store().calls(StoreCall::members_of), reads + 1);
  ASSERT_TRUE(world.members.peek(c));
}

TEST(MemberCache, AFailedReadIsAnErrorAndIsNotCached) {
  ChatWorld world;
  const Id a = world.user("alice"), b = world.user("bob");
  const Id c = world.group(a, {b});
  world.store().fail_always(FaultyStore::reads());
  auto failed = world.members.get(c);
  ASSERT_FALSE(failed.ok()) << "an outage is not an empty member list";
  EXPECT_EQ(failed.error().kind, ErrorKind::unavailable);
  EXPECT_FALSE(world.members.peek(c)) << "nothing kept from a failure";
  world.store().heal();
  auto loaded = world.members.get(c);
  ASSERT_TRUE(loaded.ok());
  EXPECT_TRUE(loaded->contains(a));
}

TEST(MemberCache, AMissingConversationIsAnswerdButNotKept) {
  ChatWorld world;
  auto missing = world.members.get(123456);
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->exists());
  EXPECT_FALSE(missing->contains(1));
  EXPECT_FALSE(world.members.peek(123456));
}

TEST(MemberCache, AMembershipChangeReachesItThroughTheBus) {
  ChatWorld world;
  const Id a = world.user("alice"), b = world.user("bob"), c3 = world.user("carol");
  const Id c = world.group(a, {b});
  auto before = world.members.get(c);
  ASSERT_TRUE(before.ok());
  ASSERT_TRUE(world.conversations.update(a, id_to_string(c), {std::nullopt, {id_to_string(c3)}, {}}).ok());
  EXPECT_FALSE(world.members.peek(c)) << "dropped by the members invalidation";
  bool sent = false;
  for (const auto& i : world.recorder.invalidations())
    sent |= i.cache == cluster::Invalidation::Cache::members && i.id == c;
  EXPECT_TRUE(sent) << "the invalidation went through the bus";
  auto after = world.members.get(c);
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->contains(c3));
  EXPECT_NE(after->digest, before->digest) << "another list, another id";
}

}  // namespace
}  // namespace parley::chat
