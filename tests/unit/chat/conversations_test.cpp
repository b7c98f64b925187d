#include "chat/conversations.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "chat/chat_fixture.hpp"
#include "chat/views.hpp"

namespace parley::chat {
namespace {

using testing::ChatWorld;
using testing::FaultyStore;

TEST(Conversations, CreateAnnouncesToEveryMember) {
  ChatWorld world;
  const Id a = world.user("alice"), b = world.user("bob");
  auto created = world.conversations.create(a, {"group", {id_to_string(b)}, "Team"});
  ASSERT_TRUE(created.ok());
  EXPECT_TRUE(created->second);
  EXPECT_EQ(created->first.members.size(), 2u);
  const auto updates = world.recorder.deliveries("conversation_updated");
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].user_ids->size(), 2u);
  EXPECT_EQ(updates[0].members_digest, 0u) << "an ad hoc list: not to be cached by its id";
  auto payload = boost::json::parse(*updates[0].payload).as_object();
  EXPECT_EQ(payload.at("title").as_string(), "Team");
  EXPECT_FALSE(payload.contains("unreadCount")) << "no per-member counters in a shared payload";
  EXPECT_FALSE(payload.contains("mentionCount"));
  EXPECT_FALSE(payload.contains("muted")) << "mute is each member's own";
  EXPECT_TRUE(payload.contains("lastChangeSeq"));
}

TEST(Conversations, ReadsThatFailAreUnavailableNotNotFound) {
  ChatWorld world;
  const Id a = world.user("alice"), b = world.user("bob");
  const Id c = world.group(a, {b});
  world.store().fail_always(FaultyStore::reads());
  EXPECT_EQ(world.conversations.get(a, id_to_string(c)).error().kind, ErrorKind::unavailable);
  EXPECT_EQ(world.conversations.list(a, std::nullopt, 20).error().kind, ErrorKind::unavailable);
  EXPECT_EQ(world.conversations.require_member(a, id_to_string(c)).error().kind, ErrorKind::unavailable);
  EXPECT_EQ(world.conversations.update(a, id_to_string(c), {"New", {}, {}}).error().kind, ErrorKind::unavailable);
  EXPECT_EQ(world.conversations.create(a, {"direct", {id_to_string(b)}, std::nullopt}).error().kind,
            ErrorKind::unavailable);
  EXPECT_EQ(world.conversations.detail(c, a).error().kind, ErrorKind::unavailable);
  world.store().heal();
  auto detail = world.conversations.detail(c, a);
  ASSERT_TRUE(detail.ok());
  ASSERT_TRUE(detail->has_value());
  EXPECT_FALSE(world.conversations.detail(c, world.user("nobody")).value().has_value()) << "not a member";
  EXPECT_EQ(world.conversations.get(a, "999").error().kind, ErrorKind::not_found);
}

TEST(Conversations, RemovingMembersTellsThemAndInvalidatesTheMemberLists) {
  ChatWorld world;
  const Id a = world.user("alice"), b = world.user("bob"), c3 = world.user("carol");
  const Id c = world.group(a, {b, c3});
  world.recorder.clear();
  auto updated = world.conversations.update(a, id_to_string(c), {std::nullopt, {}, {id_to_string(c3)}});
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(updated->members.size(), 2u);
  const auto invalidations = world.recorder.invalidations();
  ASSERT_EQ(invalidations.size(), 1u);
  EXPECT_EQ(invalidations[0].cache, cluster::Invalidation::Cache::members);
  EXPECT_EQ(invalidations[0].id, c);
  const auto updates = world.recorder.deliveries("conversation_updated");
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].removed_user_ids, std::vector<Id>{c3});
  EXPECT_NE(std::find(updates[0].user_ids->begin(), updates[0].user_ids->end(), c3), updates[0].user_ids->end())
      << "the removed member hears of it";
  // The caller leaving gets the conversation as seen from outside.
  auto left = world.conversations.update(b, id_to_string(c), {std::nullopt, {}, {id_to_string(b)}});
  ASSERT_TRUE(left.ok());
  EXPECT_EQ(left->members.size(), 1u);
  EXPECT_EQ(left->summary.conversation.id, c);
}

TEST(Conversations, AFailedWriteChangesNothingAndAnnouncesNothing) {
  ChatWorld world;
  const Id a = world.user("alice"), b = world.user("bob");
  const Id c = world.group(a, {b});
  world.recorder.clear();
  world.store().fail_always(FaultyStore::writes());
  EXPECT_EQ(world.conversations.update(a, id_to_string(c), {"Renamed", {}, {}}).error().kind,
            ErrorKind::unavailable);
  EXPECT_TRUE(world.recorder.deliveries().empty());
}

TEST(Conversations, MuteIsForMembersOnlyAndFailsCleanly) {
  ChatWorld world;
  const Id a = world.user("alice"), b = world.user("bob"), c = world.user("carol");
  const Id conversation = world.group(a, {b});
  const std::string id = id_to_string(conversation);
  EXPECT_EQ(world.conversations.set_muted(c, id, true).error().kind, ErrorKind::not_found);
  EXPECT_EQ(world.conversations.set_muted(a, "nope", true).error().kind, ErrorKind::not_found);
  world.store().fail_next(1, {testing::StoreCall::set_muted});
  EXPECT_EQ(world.conversations.set_muted(a, id, true).error().kind, ErrorKind::unavailable);
}

// Against the store's implementation (conv-sqlite).
TEST(Conversations, MuteIsPerMemberAndShowsInTheView) {
  ChatWorld world;
  const Id a = world.user("alice"), b = world.user("bob");
  const Id conversation = world.group(a, {b});
  const std::string id = id_to_string(conversation);
  world.recorder.clear();
  auto muted = world.conversations.set_muted(a, id, true);
  ASSERT_TRUE(muted.ok()) << muted.error().message;
  EXPECT_TRUE(muted->summary.self.muted);
  EXPECT_TRUE(conversation_view(muted->summary, muted->members).at("muted").as_bool());
  EXPECT_TRUE(world.recorder.deliveries().empty()) << "nobody else hears of it";
  auto others = world.conversations.get(b, id);
  ASSERT_TRUE(others.ok());
  EXPECT_FALSE(others->summary.self.muted);
  auto again = world.conversations.set_muted(a, id, true);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->summary.self.muted);
  auto unmuted = world.conversations.set_muted(a, id, false);
  ASSERT_TRUE(unmuted.ok());
  EXPECT_FALSE(unmuted->summary.self.muted);
}

}  // namespace
}  // namespace parley::chat
