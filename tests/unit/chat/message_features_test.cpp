// Messages: the conversation features (docs/features.md): replies and
// mentions at send, edit, reactions, the change sequence, the send observer.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json/parse.hpp>

#include "chat/chat_fixture.hpp"
#include "chat/messages.hpp"
#include "chat/validation.hpp"
#include "chat/views.hpp"

namespace parley::chat {
namespace {

using testing::ChatOptions;
using testing::ChatWorld;
using testing::StoreCall;

struct Room {
  ChatWorld& world;
  Id alice = world.user("alice");
  Id bob = world.user("bob");
  Id carol = world.user("carol");
  Id conversation = world.group(alice, {bob});
};

SendInput input(Id conversation, std::string body, std::string client_msg_id) {
  return SendInput{id_to_string(conversation), std::move(body), std::move(client_msg_id)};
}

bool voided_pages(ChatWorld& world, Id conversation) {
  for (const auto& i : world.recorder.invalidations())
    if (i.cache == cluster::Invalidation::Cache::history_pages && i.id == conversation) return true;
  return false;
}

// ---- at send (the scaffolded store suffices: these check the chat layer's reads)

TEST(MessageFeatures, ABodyWithoutAtReadsNothingMoreAndOneWithAtReadsNamesOnce) {
  ChatWorld world;
  Room room{world};
  ASSERT_TRUE(world.send(room.alice, room.conversation, "warm the member list").ok());
  // With these reads failing, a send that needed one would fail.
  world.store().fail_always({StoreCall::user_by_login, StoreCall::users_by_ids, StoreCall::members_of});
  EXPECT_TRUE(world.send(room.alice, room.conversation, "no mention here").ok());
  EXPECT_TRUE(world.send(room.alice, room.conversation, "mail me at alice.b@example.com").ok())
      << "an address is no mention: nothing to look up";
  auto refused = world.send(room.alice, room.conversation, "hi @bob");
  ASSERT_FALSE(refused.ok()) << "a name to look up, and the store is away";
  EXPECT_EQ(refused.error().kind, ErrorKind::unavailable);
  world.store().heal();
  ASSERT_TRUE(world.send(room.alice, room.conversation, "hi @bob and @nobody").ok());
  // bob is known now; "nobody" is no user, so it is looked up again.
  world.store().fail_always({StoreCall::user_by_login, StoreCall::users_by_ids, StoreCall::members_of});
  EXPECT_TRUE(world.send(room.alice, room.conversation, "@BOB again").ok()) << "from the username cache";
  EXPECT_FALSE(world.send(room.alice, room.conversation, "@nobody again").ok());
}

TEST(MessageFeatures, AnAsyncSendWithKnownNamesStaysOnItsThread) {
  ChatWorld world;
  Room room{world};
  ASSERT_TRUE(world.send(room.alice, room.conversation, "hi @bob").ok());  // bob's name and the members cached
  const int before = world.offloaded.load();
  testing::Answer<Sent> known, unknown;
  world.messages.send_async(room.alice, input(room.conversation, "@bob there?", "cm-k"), known.done());
  ASSERT_TRUE(known.wait());
  ASSERT_TRUE(known.result->ok()) << known.result->error().message;
  EXPECT_EQ(world.offloaded.load(), before) << "no worker needed";
  world.messages.send_async(room.alice, input(room.conversation, "@carol?", "cm-u"), unknown.done());
  ASSERT_TRUE(unknown.wait());
  ASSERT_TRUE(unknown.result->ok());
  EXPECT_EQ(world.offloaded.load(), before + 1) << "a name to look up: on a worker";
}

TEST(MessageFeatures, AMalformedReplyIdIsUnavailableAndStoresNothing) {
  ChatWorld world;
  Room room{world};
  world.recorder.clear();
  auto in = input(room.conversation, "re", "cm-r");
  in.reply_to_id = "not-an-id";
  auto sent = world.messages.send(room.alice, in);
  ASSERT_FALSE(sent.ok());
  EXPECT_EQ(sent.error().kind, ErrorKind::conflict);
  EXPECT_EQ(sent.error().code, "reply_unavailable");
  EXPECT_TRUE(world.recorder.deliveries("new_message").empty());
  auto page = world.messages.page(room.alice, id_to_string(room.conversation), {});
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->messages.empty());
}

TEST(MessageFeatures, TheObserverHearsOfEachNewMessageOnceWithItsMembers) {
  ChatWorld world;
  Room room{world};
  auto sent = world.send(room.alice, room.conversation, "one", "cm-1");
  ASSERT_TRUE(sent.ok());
  ASSERT_TRUE(world.send(room.alice, room.conversation, "one again", "cm-1").ok());  // a repeat
  world.store().fail_next(1, {StoreCall::append_message_async});
  EXPECT_FALSE(world.send(room.alice, room.conversation, "lost", "cm-2").ok());
  testing::Answer<Sent> async;
  world.messages.send_async(room.bob, input(room.conversation, "two", "cm-3"), async.done());
  ASSERT_TRUE(async.wait() && async.result->ok());
  const auto seen = world.observer.seen();
  ASSERT_EQ(seen.size(), 2u) << "not for a repeat nor a failure";
  EXPECT_EQ(seen[0].message.id, sent->message.id);
  EXPECT_EQ(seen[0].message.body, "one");
  EXPECT_EQ(seen[0].members, (std::vector<Id>{std::min(room.alice, room.bob), std::max(room.alice, room.bob)}));
  EXPECT_EQ(seen[1].message.body, "two");
  EXPECT_EQ(seen[1].message.sender_id, room.bob);
}

// ---- the rules of edit, react and changes that hold before the store is asked

TEST(MessageFeatures, EditRefusals) {
  ChatWorld world;
  Room room{world};
  auto sent = world.send(room.alice, room.conversation, "original");
  ASSERT_TRUE(sent.ok());
  const std::string id = id_to_string(sent->message.id);
  world.recorder.clear();
  EXPECT_EQ(world.messages.edit(room.alice, id, "  ").error().code, "invalid_body");
  EXPECT_EQ(world.messages.edit(room.alice, id, std::string(4001, 'x')).error().code, "invalid_body");
  EXPECT_EQ(world.messages.edit(room.bob, id, "mine now").error().kind, ErrorKind::forbidden);
  EXPECT_EQ(world.messages.edit(room.carol, id, "outsider").error().kind, ErrorKind::not_found);
  EXPECT_EQ(world.messages.edit(room.alice, "123", "no such").error().kind, ErrorKind::not_found);
  EXPECT_EQ(world.messages.edit(room.alice, "x", "bad id").error().kind, ErrorKind::not_found);
  auto same = world.messages.edit(room.alice, id, "original");
  ASSERT_TRUE(same.ok()) << "the same body: nothing to change";
  EXPECT_EQ(same->body, "original");
  EXPECT_FALSE(same->edited_at);
  ASSERT_TRUE(world.messages.remove(room.alice, id).ok());
  world.recorder.clear();
  auto deleted = world.messages.edit(room.alice, id, "too late");
  ASSERT_FALSE(deleted.ok());
  EXPECT_EQ(deleted.error().code, "message_deleted");
  EXPECT_TRUE(world.recorder.deliveries().empty()) << "no refusal and no no-op publishes";
}

TEST(MessageFeatures, ReactionRefusals) {
  ChatWorld world;
  Room room{world};
  auto sent = world.send(room.alice, room.conversation, "react to me");
  ASSERT_TRUE(sent.ok());
  const std::string id = id_to_string(sent->message.id);
  EXPECT_EQ(world.messages.react(room.bob, id, "a", true).error().code, "invalid_emoji");
  EXPECT_EQ(world.messages.react(room.bob, id, "", true).error().code, "invalid_emoji");
  EXPECT_EQ(world.messages.react(room.carol, id, "👍", true).error().kind, ErrorKind::not_found);
  ASSERT_TRUE(world.messages.remove(room.alice, id).ok());
  EXPECT_EQ(world.messages.react(room.bob, id, "👍", true).error().code, "message_deleted");
}

TEST(MessageFeatures, ChangesValidateTheirInputAndMembership) {
  ChatWorld world;
  Room room{world};
  const std::string cid = id_to_string(room.conversation);
  for (const char* bad : {"", "-1", "1.5", "x", "99999999999999999999"})
    EXPECT_EQ(world.messages.changes(room.alice, cid, bad, std::nullopt).error().code, "invalid_cursor") << bad;
  for (const char* bad : {"0", "101", "-3", "ten"})
    EXPECT_EQ(world.messages.changes(room.alice, cid, "0", std::string_view(bad)).error().code, "invalid_limit")
        << bad;
  EXPECT_EQ(world.messages.changes(room.carol, cid, "0", std::nullopt).error().kind, ErrorKind::not_found);
  EXPECT_EQ(world.messages.changes(room.alice, "nope", "0", std::nullopt).error().kind, ErrorKind::not_found);
}

// ---- against the store's implementation (conv-sqlite)

TEST(MessageFeatures, RepliesAndMentionsAreStoredAndRendered) {
  ChatWorld world;
  Room room{world};
  auto parent = world.send(room.bob, room.conversation, "the parent");
  ASSERT_TRUE(parent.ok());
  auto in = input(room.conversation, "@Bob yes, and @carol (not here) @alice", "cm-reply");
  in.reply_to_id = id_to_string(parent->message.id);
  auto reply = world.messages.send(room.alice, in);
  ASSERT_TRUE(reply.ok()) << reply.error().message;
  EXPECT_EQ(reply->message.reply_to_id, parent->message.id);
  EXPECT_EQ(reply->message.mentions,
            (std::vector<Id>{std::min(room.alice, room.bob), std::max(room.alice, room.bob)}));
  const auto json = boost::json::parse(*reply->json);
  EXPECT_EQ(json.at("replyToId").as_string(), id_to_string(parent->message.id));
  EXPECT_EQ(json.at("replyTo").at("body").as_string(), "the parent");
  EXPECT_GT(json.at("changeSeq").as_int64(), parent->message.change_seq);

  // A message of another conversation, or none: refused, nothing stored.
  const Id other = world.group(room.alice, {room.carol});
  auto elsewhere = world.send(room.alice, other, "elsewhere");
  ASSERT_TRUE(elsewhere.ok());
  for (const std::string& bad : {id_to_string(elsewhere->message.id), std::string("4242")}) {
    auto refused = input(room.conversation, "re", "cm-bad-" + bad);
    refused.reply_to_id = bad;
    auto result = world.messages.send(room.alice, refused);
    ASSERT_FALSE(result.ok()) << bad;
    EXPECT_EQ(result.error().code, "reply_unavailable");
  }
}

TEST(MessageFeatures, AnEditIsAnnouncedWithTheWholeMessage) {
  ChatWorld world;
  Room room{world};
  auto sent = world.send(room.alice, room.conversation, "first text");
  ASSERT_TRUE(sent.ok());
  world.recorder.clear();
  world.clock().advance(5000);
  auto edited = world.messages.edit(room.alice, id_to_string(sent->message.id), "now for @bob");
  ASSERT_TRUE(edited.ok()) << edited.error().message;
  EXPECT_EQ(edited->body, "now for @bob");
  EXPECT_EQ(edited->edited_at, world.clock().now_ms());
  EXPECT_GT(edited->change_seq, sent->message.change_seq);
  EXPECT_EQ(edited->mentions, std::vector<Id>{room.bob});
  EXPECT_TRUE(voided_pages(world, room.conversation));
  const auto updates = world.recorder.deliveries("message_updated");
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(*updates[0].payload, message_json(*edited));
  ASSERT_TRUE(updates[0].user_ids);
  EXPECT_EQ(updates[0].user_ids->size(), 2u);
  // History shows the edit.
  auto page = world.messages.page_json(room.bob, id_to_string(room.conversation), {});
  ASSERT_TRUE(page.ok());
  EXPECT_NE((*page)->find("now for @bob"), std::string::npos);
}

TEST(MessageFeatures, ReactionsChangeOncePerUserAndAnnounceTheWholeList) {
  ChatWorld world;
  Room room{world};
  auto sent = world.send(room.alice, room.conversation, "react to me");
  ASSERT_TRUE(sent.ok());
  const std::string id = id_to_string(sent->message.id);
  world.recorder.clear();
  auto added = world.messages.react(room.bob, id, "👍", true);
  ASSERT_TRUE(added.ok()) << added.error().message;
  EXPECT_TRUE(added->changed);
  ASSERT_EQ(added->message.reactions.size(), 1u);
  EXPECT_EQ(added->message.reactions[0].user_ids, std::vector<Id>{room.bob});
  auto repeat = world.messages.react(room.bob, id, "👍", true);
  ASSERT_TRUE(repeat.ok());
  EXPECT_FALSE(repeat->changed);
  auto updates = world.recorder.deliveries("reaction_updated");
  ASSERT_EQ(updates.size(), 1u) << "a repeat is not announced";
  EXPECT_EQ(*updates[0].payload, reactions_json(added->message));
  EXPECT_TRUE(voided_pages(world, room.conversation));
  auto removed = world.messages.react(room.bob, id, "👍", false);
  ASSERT_TRUE(removed.ok());
  EXPECT_TRUE(removed->changed);
  EXPECT_TRUE(removed->message.reactions.empty());
  EXPECT_EQ(world.recorder.deliveries("reaction_updated").size(), 2u);

  // At most 20 distinct emoji; an existing one may still be added to.
  std::vector<std::string> emoji;
  for (int i = 0; i < kMaxDistinctReactions; ++i) emoji.push_back(std::string("\xf0\x9f\x98") + char(0x80 + i));
  for (const auto& e : emoji) ASSERT_TRUE(world.messages.react(room.alice, id, e, true).ok()) << e;
  auto too_many = world.messages.react(room.alice, id, "🎉", true);
  ASSERT_FALSE(too_many.ok());
  EXPECT_EQ(too_many.error().code, "too_many_reactions");
  EXPECT_TRUE(world.messages.react(room.bob, id, emoji[0], true).ok());
}

TEST(MessageFeatures, ChangesCatchUpOnEverythingInChangeOrder) {
  ChatWorld world;
  Room room{world};
  const std::string cid = id_to_string(room.conversation);
  auto a = world.send(room.alice, room.conversation, "a");
  auto b = world.send(room.alice, room.conversation, "b");
  ASSERT_TRUE(a.ok() && b.ok());
  const store::Seq mark = b->message.change_seq;
  ASSERT_TRUE(world.messages.edit(room.alice, id_to_string(a->message.id), "a2").ok());
  ASSERT_TRUE(world.messages.react(room.bob, id_to_string(b->message.id), "👍", true).ok());
  auto c = world.send(room.bob, room.conversation, "c");
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(world.messages.remove(room.alice, id_to_string(a->message.id)).ok());

  auto all = world.messages.changes(room.bob, cid, std::to_string(mark), std::nullopt);
  ASSERT_TRUE(all.ok()) << all.error().message;
  ASSERT_EQ(all->messages.size(), 3u) << "b (reacted), c (new), a (edited then deleted: its latest change)";
  EXPECT_EQ(all->messages[0].id, b->message.id);
  EXPECT_EQ(all->messages[1].id, c->message.id);
  EXPECT_EQ(all->messages[2].id, a->message.id);
  EXPECT_TRUE(all->messages[2].deleted_at);
  EXPECT_FALSE(all->next_cursor) << "caught up";

  auto first = world.messages.changes(room.bob, cid, std::to_string(mark), std::string_view("2"));
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->messages.size(), 2u);
  ASSERT_TRUE(first->next_cursor);
  EXPECT_EQ(*first->next_cursor, first->messages[1].change_seq);
  auto rest = world.messages.changes(room.bob, cid, std::to_string(*first->next_cursor), std::string_view("2"));
  ASSERT_TRUE(rest.ok());
  ASSERT_EQ(rest->messages.size(), 1u);
  EXPECT_EQ(rest->messages[0].id, a->message.id);
  EXPECT_FALSE(rest->next_cursor);
}

}  // namespace
}  // namespace parley::chat
