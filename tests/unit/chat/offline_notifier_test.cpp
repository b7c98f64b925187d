#include "chat/offline_notifier.hpp"

#include <boost/json/parse.hpp>

#include <gtest/gtest.h>

#include <mutex>
#include <string>
#include <vector>

#include "chat/chat_fixture.hpp"
#include "common/ids.hpp"

namespace parley::chat {
namespace {

using testing::ChatWorld;

struct Captured {
  std::string id;
  std::string body;
};

class OfflineNotifierTest : public ::testing::Test {
 protected:
  OfflineNotifierTest()
      : notifier_(OfflineNotifierDeps{&world_.store(), &world_.presence,
                                      [this](std::function<void()> job) {
                                        ++offloaded_;
                                        job();
                                      },
                                      &world_.clock(),
                                      [this](std::string id, std::string body) {
                                        std::lock_guard lock(mutex_);
                                        captured_.push_back({std::move(id), std::move(body)});
                                      }}) {}

  store::MessageRow message(Id sender, Id conversation, std::vector<Id> mentions = {}) {
    store::MessageRow m;
    m.id = 4242;
    m.conversation_id = conversation;
    m.seq = 1;
    m.sender_id = sender;
    m.body = "hello \"there\"";
    m.client_msg_id = "c1";
    m.created_at = world_.clock().now_ms();
    m.mentions = std::move(mentions);
    return m;
  }
  std::vector<Captured> captured() {
    std::lock_guard lock(mutex_);
    return captured_;
  }

  ChatWorld world_;
  std::mutex mutex_;
  std::vector<Captured> captured_;
  int offloaded_ = 0;
  OfflineNotifier notifier_;
};

TEST_F(OfflineNotifierTest, NotifiesTheOfflineMembersOtherThanTheSender) {
  Id alice = world_.user("alice"), bob = world_.user("bob"), carol = world_.user("carol"), dan = world_.user("dan");
  Id group = world_.group(alice, {bob, carol, dan}, "Team \"A\"");
  world_.presence.connected(carol);  // online: not notified
  auto m = message(alice, group, {dan});
  notifier_.message_sent(m, {alice, bob, carol, dan});

  auto got = captured();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].id, "message-4242");
  auto json = boost::json::parse(got[0].body).as_object();
  EXPECT_EQ(json.at("type").as_string(), "message");
  EXPECT_EQ(json.at("id").as_string(), "message-4242");
  EXPECT_EQ(json.at("createdAt").as_string(), format_iso8601(world_.clock().now_ms()));
  auto& conversation = json.at("conversation").as_object();
  EXPECT_EQ(conversation.at("id").as_string(), id_to_string(group));
  EXPECT_EQ(conversation.at("type").as_string(), "group");
  EXPECT_EQ(conversation.at("title").as_string(), "Team \"A\"");
  auto& msg = json.at("message").as_object();
  EXPECT_EQ(msg.at("id").as_string(), "4242");
  EXPECT_EQ(msg.at("body").as_string(), "hello \"there\"");
  EXPECT_EQ(msg.at("senderId").as_string(), id_to_string(alice));
  auto& recipients = json.at("recipients").as_array();
  ASSERT_EQ(recipients.size(), 2u);
  EXPECT_EQ(recipients[0].at("userId").as_string(), id_to_string(bob));
  EXPECT_EQ(recipients[0].at("mentioned").as_bool(), false);
  EXPECT_EQ(recipients[1].at("userId").as_string(), id_to_string(dan));
  EXPECT_EQ(recipients[1].at("mentioned").as_bool(), true);
}

TEST_F(OfflineNotifierTest, EveryoneOnlineReadsNothingAndNotifiesNobody) {
  Id alice = world_.user("alice"), bob = world_.user("bob");
  Id group = world_.group(alice, {bob});
  world_.presence.connected(bob);
  notifier_.message_sent(message(alice, group), {alice, bob});
  EXPECT_EQ(offloaded_, 0);  // the store is not read when nobody is offline
  EXPECT_TRUE(captured().empty());
}

TEST_F(OfflineNotifierTest, AMemberWhoLeftSinceTheSendIsNotNotified) {
  Id alice = world_.user("alice"), bob = world_.user("bob"), outsider = world_.user("outsider");
  Id group = world_.group(alice, {bob});
  // `outsider` is in the send's member list but not (any more) in the conversation.
  notifier_.message_sent(message(alice, group), {alice, bob, outsider});
  auto got = captured();
  ASSERT_EQ(got.size(), 1u);
  auto json = boost::json::parse(got[0].body).as_object();
  ASSERT_EQ(json.at("recipients").as_array().size(), 1u);
  EXPECT_EQ(json.at("recipients").as_array()[0].at("userId").as_string(), id_to_string(bob));
}

TEST_F(OfflineNotifierTest, AMemberWhoMutedTheConversationIsNotNotified) {
  Id alice = world_.user("alice"), bob = world_.user("bob"), carol = world_.user("carol");
  Id group = world_.group(alice, {bob, carol});
  ASSERT_TRUE(world_.conversations.set_muted(bob, id_to_string(group), true).ok());
  notifier_.message_sent(message(alice, group, {bob}), {alice, bob, carol});
  auto got = captured();
  ASSERT_EQ(got.size(), 1u);
  auto json = boost::json::parse(got[0].body).as_object();
  ASSERT_EQ(json.at("recipients").as_array().size(), 1u);
  EXPECT_EQ(json.at("recipients").as_array()[0].at("userId").as_string(), id_to_string(carol));

  // Everyone offline muted: nothing at all.
  ASSERT_TRUE(world_.conversations.set_muted(carol, id_to_string(group), true).ok());
  notifier_.message_sent(message(alice, group), {alice, bob, carol});
  EXPECT_EQ(captured().size(), 1u);
}

TEST_F(OfflineNotifierTest, AFailedStoreReadDropsTheNotification) {
  Id alice = world_.user("alice"), bob = world_.user("bob");
  Id group = world_.group(alice, {bob});
  world_.store().fail_next(1, {testing::StoreCall::members_of});
  notifier_.message_sent(message(alice, group), {alice, bob});
  EXPECT_EQ(offloaded_, 1);
  EXPECT_TRUE(captured().empty());
}

TEST(NotificationJson, ADirectConversationHasNoTitle) {
  store::ConversationRow direct;
  direct.id = 7;
  direct.type = store::ConversationType::direct;
  store::MessageRow m;
  m.id = 9;
  m.conversation_id = 7;
  m.sender_id = 1;
  auto json = boost::json::parse(notification_json("message-9", 0, direct, m, {2})).as_object();
  EXPECT_EQ(json.at("conversation").at("type").as_string(), "direct");
  EXPECT_TRUE(json.at("conversation").at("title").is_null());
  EXPECT_EQ(json.at("recipients").as_array()[0].at("userId").as_string(), "2");
}

}  // namespace
}  // namespace parley::chat
