#include "chat/live.hpp"

#include <gtest/gtest.h>

#include <chrono>

#include <boost/json/parse.hpp>

#include "chat/chat_fixture.hpp"

namespace parley::chat {
namespace {

using testing::Answer;
using testing::ChatWorld;
using testing::FaultyStore;

TEST(Live, TypingGoesToTheRoomExceptTheOriginAndOnlyOnChanges) {
  ChatWorld world;
  const Id a = world.user("alice"), b = world.user("bob");
  const Id c = world.group(a, {b});
  world.recorder.clear();
  world.live.typing(a, c, true, "conn-1");
  world.live.typing(a, c, true, "conn-1");  // a refresh: nothing new
  auto typing = world.recorder.deliveries("typing");
  ASSERT_EQ(typing.size(), 1u);
  EXPECT_EQ(typing[0].audience, cluster::Delivery::Audience::room);
  EXPECT_EQ(typing[0].conversation_id, c);
  EXPECT_EQ(typing[0].except_connection, "conn-1");
  auto payload = boost::json::parse(*typing[0].payload).as_object();
  EXPECT_EQ(payload.at("userId").as_string(), id_to_string(a));
  world.live.typing(a, c, false, "conn-1");
  world.live.typing(a, c, false, "conn-1");
  EXPECT_EQ(world.recorder.deliveries("stop_typing").size(), 1u);
  // Leaving the room ends typing there.
  world.live.typing(b, c, true, "conn-2");
  world.live.left(b, c, "conn-2");
  EXPECT_EQ(world.recorder.deliveries("stop_typing").size(), 2u);
}

TEST(Live, TypingLapsesOnTheClockAndASendEndsIt) {
  ChatWorld world;
  const Id a = world.user("alice"), b = world.user("bob");
  const Id c = world.group(a, {b});
  world.live.typing(a, c, true, "x");
  world.clock().advance(5000);
  world.live.sweep();
  auto stops = world.recorder.deliveries("stop_typing");
  ASSERT_EQ(stops.size(), 1u);
  EXPECT_TRUE(stops[0].except_connection.empty()) << "announced by the server: everyone hears it";
  world.live.typing(b, c, true, "y");
  Answer<Sent> sent;
  world.live.send(b, {id_to_string(c), "hi", "cm-1"}, sent.done());
  ASSERT_TRUE(sent.wait() && sent.result->ok());
  EXPECT_EQ(world.recorder.deliveries("stop_typing").size(), 2u);
  EXPECT_EQ(world.recorder.deliveries("new_message").size(), 1u);
}

TEST(Live, PresenceIsAnnouncedToContactsOnTheBus) {
  ChatWorld world;
  const Id a = world.user("alice"), b = world.user("bob"), loner = world.user("loner");
  world.group(a, {b});
  world.recorder.clear();
  world.live.connected(a);
  world.live.connected(a);  // a second device: already online
  world.live.connected(loner);  // no contacts: nobody to tell
  auto online = world.recorder.deliveries("user_status");
  ASSERT_EQ(online.size(), 1u);
  EXPECT_EQ(*online[0].user_ids, std::vector<Id>{b}) << "contacts only, not the user";
  EXPECT_EQ(boost::json::parse(*online[0].payload).at("online").as_bool(), true);
  world.live.disconnected(a);
  world.live.disconnected(a);
  world.clock().advance(999);
  world.live.sweep();
  EXPECT_EQ(world.recorder.deliveries("user_status").size(), 1u) << "within the grace period";
  world.clock().advance(1);
  world.live.sweep();
  auto offline = world.recorder.deliveries("user_status");
  ASSERT_EQ(offline.size(), 2u);
  EXPECT_EQ(boost::json::parse(*offline[1].payload).at("online").as_bool(), false);
  auto user = world.store().user_by_id(a);
  ASSERT_TRUE(user.ok() && user->has_value());
  EXPECT_GT((*user)->last_seen_at, 0) << "lastSeenAt stored when going offline";
  auto status = world.users.status(id_to_string(a));
  ASSERT_TRUE(status.ok());
  EXPECT_FALSE(status->online);
}

TEST(Live, JoinChecksMembershipAndAnOutageIsNotARefusal) {
  ChatWorld world;
  const Id a = world.user("alice"), b = world.user("bob"), eve = world.user("eve");
  const Id c = world.group(a, {b});
  Answer<Id> joined;
  world.live.join(b, id_to_string(c), joined.done());
  ASSERT_TRUE(joined.result && joined.result->ok());
  EXPECT_EQ(**joined.result, c);
  Answer<Id> refused;
  world.live.join(eve, id_to_string(c), refused.done());
  ASSERT_TRUE(refused.result);
  EXPECT_EQ(refused.result->error().kind, ErrorKind::not_found);
  world.store().fail_always(FaultyStore::reads());
  Answer<Id> outage;
  world.live.join(b, id_to_string(c), outage.done());
  ASSERT_TRUE(outage.result);
  EXPECT_EQ(outage.result->error().code, "unavailable");
  Answer<Id> auth;
  world.live.authenticate(world.token(a), auth.done());
  ASSERT_TRUE(auth.result);
  EXPECT_EQ(auth.result->error().kind, ErrorKind::unavailable) << "never unauthorized for an outage";
}

TEST(Live, MarkReadMovesTheWatermarkAndTellsTheRoom) {
  ChatWorld world;
  const Id a = world.user("alice"), b = world.user("bob");
  const Id c = world.group(a, {b});
  auto sent = world.send(a, c, "read me");
  ASSERT_TRUE(sent.ok());
  Answer<store::ReadState> read;
  world.live.mark_read(b, id_to_string(c), id_to_string(sent->message.id), read.done());
  ASSERT_TRUE(read.result && read.result->ok());
  EXPECT_EQ((*read.result)->last_read_seq, 1);
  EXPECT_EQ((*read.result)->unread_count, 0);
  EXPECT_EQ(world.recorder.deliveries("message_read").size(), 1u);
  Answer<store::ReadState> wrong;
  world.live.mark_read(b, "12345", id_to_string(sent->message.id), wrong.done());
  ASSERT_TRUE(wrong.result);
  EXPECT_EQ(wrong.result->error().kind, ErrorKind::not_found);
}

// edit_message and add_reaction / remove_reaction (docs/features.md): the
// answers come rendered for the ack, the changes go to the members on the bus,
// and refusals keep their codes.
TEST(Live, EditAndReactAnswerTheRenderedStateAndAnnounceChangesOnly) {
  ChatWorld world;
  const Id a = world.user("alice"), b = world.user("bob"), eve = world.user("eve");
  const Id c = world.group(a, {b});
  auto sent = world.send(a, c, "first");
  ASSERT_TRUE(sent.ok());
  const std::string id = id_to_string(sent->message.id);
  world.recorder.clear();

  Answer<std::string> edited;
  world.live.edit(a, id, "second", edited.done());
  ASSERT_TRUE(edited.result && edited.result->ok()) << edited.result->error().message;
  const auto message = boost::json::parse(**edited.result).as_object();
  EXPECT_EQ(message.at("id").as_string(), id);
  EXPECT_EQ(message.at("body").as_string(), "second");
  EXPECT_FALSE(message.at("editedAt").is_null());
  ASSERT_EQ(world.recorder.deliveries("message_updated").size(), 1u);
  EXPECT_EQ(*world.recorder.deliveries("message_updated")[0].payload, **edited.result);
  Answer<std::string> not_sender;
  world.live.edit(b, id, "bob's", not_sender.done());
  ASSERT_TRUE(not_sender.result && !not_sender.result->ok());
  EXPECT_EQ(not_sender.result->error().kind, ErrorKind::forbidden);

  Answer<std::string> added;
  world.live.react(b, id, "\xF0\x9F\x8E\x89", true, added.done());
  ASSERT_TRUE(added.result && added.result->ok()) << added.result->error().message;
  const auto reactions = boost::json::parse(**added.result).as_object();
  EXPECT_EQ(reactions.at("messageId").as_string(), id);
  ASSERT_EQ(reactions.at("reactions").as_array().size(), 1u);
  EXPECT_EQ(reactions.at("reactions").as_array()[0].as_object().at("count").as_int64(), 1);
  ASSERT_EQ(world.recorder.deliveries("reaction_updated").size(), 1u);
  EXPECT_EQ(*world.recorder.deliveries("reaction_updated")[0].payload, **added.result);
  Answer<std::string> repeat;
  world.live.react(b, id, "\xF0\x9F\x8E\x89", true, repeat.done());
  ASSERT_TRUE(repeat.result && repeat.result->ok());
  EXPECT_EQ(**repeat.result, **added.result) << "a repeat answers the same state";
  EXPECT_EQ(world.recorder.deliveries("reaction_updated").size(), 1u) << "and announces nothing";
  Answer<std::string> removed;
  world.live.react(b, id, "\xF0\x9F\x8E\x89", false, removed.done());
  ASSERT_TRUE(removed.result && removed.result->ok());
  EXPECT_TRUE(boost::json::parse(**removed.result).as_object().at("reactions").as_array().empty());
  EXPECT_EQ(world.recorder.deliveries("reaction_updated").size(), 2u);

  Answer<std::string> ascii;
  world.live.react(b, id, "abc", true, ascii.done());
  ASSERT_TRUE(ascii.result && !ascii.result->ok());
  EXPECT_EQ(ascii.result->error().code, "invalid_emoji");
  Answer<std::string> stranger;
  world.live.react(eve, id, "\xF0\x9F\x8E\x89", true, stranger.done());
  ASSERT_TRUE(stranger.result && !stranger.result->ok());
  EXPECT_EQ(stranger.result->error().kind, ErrorKind::not_found);
}

}  // namespace
}  // namespace parley::chat
