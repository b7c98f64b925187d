#include <set>

#include "store_test_support.hpp"

namespace parley::store::testing {
namespace {

using ConversationsTest = StoreTest;

TEST_F(ConversationsTest, GroupWithMembersAndRoles) {
  UserRow ann = add_user("ann");
  UserRow ben = add_user("ben");
  UserRow cat = add_user("cat");
  Id g = add_group(ann.id, {ben.id, cat.id}, "Book club");

  auto c = must(store_->conversation_by_id(g));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->type, ConversationType::group);
  EXPECT_EQ(c->title, "Book club");
  EXPECT_EQ(c->created_by, ann.id);
  EXPECT_EQ(c->last_seq, 0);
  EXPECT_EQ(c->last_activity_at, c->created_at);

  auto m = must(store_->membership(g, ann.id));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->role, MemberRole::admin);
  EXPECT_EQ(must_find(store_->membership(g, ben.id)).role, MemberRole::member);
  UserRow outsider = add_user("dan");
  EXPECT_FALSE(must(store_->membership(g, outsider.id)));
  EXPECT_FALSE(must(store_->conversation_by_id(g + 12345)));

  auto members = must(store_->members_of(g));
  ASSERT_EQ(members.size(), 3u);
  EXPECT_EQ(members[0].user.id, ann.id);  // admins first
  for (const auto& mv : members) {
    EXPECT_FALSE(mv.user.username.empty());
    EXPECT_TRUE(mv.user.email.empty());
    EXPECT_TRUE(mv.user.password_hash.empty());
    EXPECT_EQ(mv.member.conversation_id, g);
  }
}

TEST_F(ConversationsTest, DirectConversationIsUniquePerPair) {
  UserRow a = add_user("amy");
  UserRow b = add_user("bea");
  UserRow c = add_user("cy");
  auto first = add_direct(a.id, b.id);
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->created);
  auto again = add_direct(b.id, a.id);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->id, first->id);
  auto other = add_direct(a.id, c.id);
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(other->created);
  EXPECT_NE(other->id, first->id);
  EXPECT_EQ(must_find(store_->conversation_by_id(first->id)).type, ConversationType::direct);
  EXPECT_EQ(must(store_->members_of(first->id)).size(), 2u);
}

TEST_F(ConversationsTest, UnknownMemberRollsBackTheWholeCreate) {
  UserRow a = add_user("amy");
  ConversationRow c{ids_.next(), ConversationType::group, "t", a.id, tick(), 0, 0};
  auto r = store_->create_conversation(c, {{c.id, a.id, MemberRole::admin, 0, 1}, {c.id, 777, MemberRole::member, 0, 1}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::not_found);
  EXPECT_FALSE(must(store_->conversation_by_id(c.id)));
  EXPECT_FALSE(must(store_->membership(c.id, a.id)));
}

TEST_F(ConversationsTest, UpdateTitleAddAndRemove) {
  UserRow ann = add_user("ann");
  UserRow ben = add_user("ben");
  UserRow cat = add_user("cat");
  UserRow dan = add_user("dan");
  Id g = add_group(ann.id, {ben.id});

  ConversationChange change;
  change.title = "Renamed";
  change.add = {{g, cat.id, MemberRole::member, 0, tick()}, {g, ben.id, MemberRole::admin, 0, tick()}};
  change.remove = {ben.id, dan.id};  // dan is not a member: ignored
  ASSERT_TRUE(store_->update_conversation(g, change).ok());
  EXPECT_EQ(must_find(store_->conversation_by_id(g)).title, "Renamed");
  EXPECT_TRUE(must(store_->membership(g, cat.id)));
  EXPECT_FALSE(must(store_->membership(g, ben.id)));
  EXPECT_EQ(must(store_->members_of(g)).size(), 2u);

  // Adding an existing member keeps its row (role included).
  ConversationChange readd;
  readd.add = {{g, ann.id, MemberRole::member, 0, tick()}};
  ASSERT_TRUE(store_->update_conversation(g, readd).ok());
  EXPECT_EQ(must_find(store_->membership(g, ann.id)).role, MemberRole::admin);

  Status gone = store_->update_conversation(g + 999, change);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().kind, ErrorKind::not_found);

  // One bad addition: nothing of the change is applied.
  ConversationChange bad;
  bad.title = "Never";
  bad.add = {{g, dan.id, MemberRole::member, 0, tick()}, {g, 31337, MemberRole::member, 0, tick()}};
  ASSERT_FALSE(store_->update_conversation(g, bad).ok());
  EXPECT_EQ(must_find(store_->conversation_by_id(g)).title, "Renamed");
  EXPECT_FALSE(must(store_->membership(g, dan.id)));
}

TEST_F(ConversationsTest, ListMostRecentFirstWithKeysetCursor) {
  UserRow me = add_user("me");
  UserRow you = add_user("you");
  std::vector<Id> groups;
  for (int i = 0; i < 7; ++i) groups.push_back(add_group(me.id, {you.id}, "g" + std::to_string(i)));
  // Activity: messages in reverse creation order move older groups up.
  send(groups[2], you.id, "hi");
  send(groups[0], you.id, "hello");

  std::vector<Id> expected{groups[0], groups[2], groups[6], groups[5], groups[4], groups[3], groups[1]};
  std::vector<Id> seen;
  std::optional<ActivityCursor> cursor;
  for (int page = 0; page < 10; ++page) {
    auto list = must(store_->conversations_of(me.id, cursor, 3));
    if (list.empty()) break;
    EXPECT_LE(list.size(), 3u);
    for (const auto& s : list) seen.push_back(s.conversation.id);
    cursor = ActivityCursor{list.back().conversation.last_activity_at, list.back().conversation.id};
  }
  EXPECT_EQ(seen, expected);
  EXPECT_TRUE(must(store_->conversations_of(me.id, std::nullopt, 0)).empty());
  UserRow loner = add_user("loner");
  EXPECT_TRUE(must(store_->conversations_of(loner.id, std::nullopt, 10)).empty());
}

TEST_F(ConversationsTest, TiesInActivityAreBrokenById) {
  UserRow me = add_user("me");
  TimeMs same = 1800000000000;
  std::set<Id> created;
  for (int i = 0; i < 5; ++i) {
    ConversationRow c{ids_.next(), ConversationType::group, "t", me.id, same, 0, same};
    ASSERT_TRUE(store_->create_conversation(c, {{c.id, me.id, MemberRole::admin, 0, same}}).ok());
    created.insert(c.id);
  }
  std::vector<Id> seen;
  std::optional<ActivityCursor> cursor;
  while (true) {
    auto list = must(store_->conversations_of(me.id, cursor, 2));
    if (list.empty()) break;
    for (const auto& s : list) seen.push_back(s.conversation.id);
    cursor = ActivityCursor{list.back().conversation.last_activity_at, list.back().conversation.id};
  }
  EXPECT_EQ(seen, std::vector<Id>(created.rbegin(), created.rend()));
}

TEST_F(ConversationsTest, SummaryHasSelfLastMessageAndUnread) {
  UserRow me = add_user("me");
  UserRow you = add_user("you");
  Id g = add_group(me.id, {you.id});
  send(g, you.id, "one");
  send(g, me.id, "mine");
  MessageRow three = send(g, you.id, "three");

  auto s = must(store_->conversation_summary(g, me.id));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->self.user_id, me.id);
  EXPECT_EQ(s->self.role, MemberRole::admin);
  EXPECT_EQ(s->self.last_read_seq, 0);
  ASSERT_TRUE(s->last_message);
  EXPECT_EQ(s->last_message->id, three.id);
  EXPECT_EQ(s->last_message->body, "three");
  EXPECT_EQ(s->unread_count, 2);  // not my own message
  EXPECT_EQ(s->conversation.last_seq, 3);

  ASSERT_TRUE(store_->soft_delete_message(three.id, tick()).ok());
  s = must(store_->conversation_summary(g, me.id));
  ASSERT_TRUE(s->last_message);
  EXPECT_TRUE(s->last_message->deleted_at);
  EXPECT_TRUE(s->last_message->body.empty());
  EXPECT_EQ(s->unread_count, 1);

  auto list = must(store_->conversations_of(you.id, std::nullopt, 10));
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].unread_count, 1);  // "mine"
  EXPECT_EQ(list[0].self.user_id, you.id);

  UserRow outsider = add_user("out");
  EXPECT_FALSE(must(store_->conversation_summary(g, outsider.id)));
  Id empty = add_group(me.id, {});
  auto e = must(store_->conversation_summary(empty, me.id));
  ASSERT_TRUE(e);
  EXPECT_FALSE(e->last_message);
  EXPECT_EQ(e->unread_count, 0);
}

}  // namespace
}  // namespace parley::store::testing

namespace parley::store::testing {
namespace {

TEST_F(StoreTest, ContactsAreEveryoneSharingAConversation) {
  UserRow ann = add_user("ann2");
  UserRow ben = add_user("ben2");
  UserRow cat = add_user("cat2");
  UserRow dan = add_user("dan2");
  add_group(ann.id, {ben.id, cat.id}, "One");
  add_group(ben.id, {ann.id}, "Two");
  auto contacts = must(store_->contacts_of(ann.id));
  std::sort(contacts.begin(), contacts.end());
  std::vector<Id> expected{ben.id, cat.id};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(contacts, expected);
  EXPECT_TRUE(must(store_->contacts_of(dan.id)).empty());
}

}  // namespace
}  // namespace parley::store::testing
