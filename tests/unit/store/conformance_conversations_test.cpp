// Conversations: create (groups, direct pairs created once), members and their
// order, the list by activity with its cursor, summaries, changes. Every
// backend (conformance_fixture.hpp).
#include <set>
#include <thread>

#include "conformance_fixture.hpp"

namespace parley::store::testing {
namespace {

class ConformanceConversations : public ConformanceTest {};
CONFORMANCE_OVER_ALL_BACKENDS(ConformanceConversations);

std::vector<Id> member_ids(const std::vector<MemberView>& members) {
  std::vector<Id> out;
  for (const auto& m : members) out.push_back(m.user.id);
  return out;
}

TEST_P(ConformanceConversations, GroupWithMembersAndRoles) {
  UserRow ann = add_user("ann");
  UserRow ben = add_user("ben");
  UserRow cat = add_user("cat");
  Id g = add_group(ann.id, {ben.id, cat.id}, "Book club");

  auto c = must(store_->conversation_by_id(g));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->id, g);
  EXPECT_EQ(c->type, ConversationType::group);
  EXPECT_EQ(c->title, "Book club");
  EXPECT_EQ(c->created_by, ann.id);
  EXPECT_EQ(c->last_seq, 0);
  EXPECT_EQ(c->last_activity_at, c->created_at);

  auto m = must(store_->membership(g, ann.id));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->conversation_id, g);
  EXPECT_EQ(m->user_id, ann.id);
  EXPECT_EQ(m->role, MemberRole::admin);
  EXPECT_EQ(m->last_read_seq, 0);
  EXPECT_EQ(must_find(store_->membership(g, ben.id)).role, MemberRole::member);
  UserRow outsider = add_user("dan");
  EXPECT_FALSE(must(store_->membership(g, outsider.id)));
  EXPECT_FALSE(must(store_->conversation_by_id(g + 12345)));
  EXPECT_FALSE(must(store_->membership(g + 12345, ann.id)));

  auto members = must(store_->members_of(g));
  ASSERT_EQ(members.size(), 3u);
  EXPECT_EQ(members[0].user.id, ann.id);  // admins first
  for (const auto& mv : members) {
    EXPECT_FALSE(mv.user.username.empty());
    EXPECT_FALSE(mv.user.display_name.empty());
    EXPECT_TRUE(mv.user.email.empty());
    EXPECT_TRUE(mv.user.password_hash.empty());
    EXPECT_EQ(mv.member.conversation_id, g);
    EXPECT_EQ(mv.member.user_id, mv.user.id);
  }
  EXPECT_TRUE(must(store_->members_of(g + 12345)).empty());
}

TEST_P(ConformanceConversations, MembersAreAdminsFirstThenByJoinTime) {
  UserRow ann = add_user("ann");
  UserRow ben = add_user("ben");
  UserRow cat = add_user("cat");
  UserRow dan = add_user("dan");
  UserRow eve = add_user("eve");
  ConversationRow c{ids_.next(), ConversationType::group, "order", ann.id, tick(), 0, 0};
  // Given in an order that is neither the answer nor the reverse of it.
  ASSERT_TRUE(store_
                  ->create_conversation(c, {{c.id, ben.id, MemberRole::member, 0, 3000},
                                            {c.id, cat.id, MemberRole::admin, 0, 4000},
                                            {c.id, ann.id, MemberRole::admin, 0, 1000},
                                            {c.id, eve.id, MemberRole::member, 0, 5000},
                                            {c.id, dan.id, MemberRole::member, 0, 2000}})
                  .ok());
  EXPECT_EQ(member_ids(must(store_->members_of(c.id))),
            (std::vector<Id>{ann.id, cat.id, dan.id, ben.id, eve.id}));
  auto members = must(store_->members_of(c.id));
  ASSERT_EQ(members.size(), 5u);
  EXPECT_EQ(members[0].member.joined_at, 1000);
  EXPECT_EQ(members[1].member.role, MemberRole::admin);
  EXPECT_EQ(members[2].member.role, MemberRole::member);
}

TEST_P(ConformanceConversations, DirectConversationIsUniquePerPair) {
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
  auto row = must_find(store_->conversation_by_id(first->id));
  EXPECT_EQ(row.type, ConversationType::direct);
  EXPECT_TRUE(row.title.empty());
  EXPECT_EQ(must(store_->members_of(first->id)).size(), 2u);
  // a and b have one conversation between them, not two.
  EXPECT_EQ(must(store_->conversations_of(b.id, std::nullopt, 10)).size(), 1u);
}

TEST_P(ConformanceConversations, RacingDirectCreatesMakeOneConversation) {
  UserRow a = add_user("amy");
  UserRow b = add_user("bea");
  constexpr int n = 8;
  std::vector<Result<CreatedConversation>> results(n, Error::internal("not run"));
  std::vector<std::thread> pool;
  for (int i = 0; i < n; ++i) {
    pool.emplace_back([&, i] { results[i] = i % 2 ? add_direct(a.id, b.id) : add_direct(b.id, a.id); });
  }
  for (auto& t : pool) t.join();
  int created = 0;
  std::set<Id> ids;
  for (auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.error().message;
    created += r->created;
    ids.insert(r->id);
  }
  EXPECT_EQ(created, 1);
  ASSERT_EQ(ids.size(), 1u);
  EXPECT_EQ(must(store_->members_of(*ids.begin())).size(), 2u);
  EXPECT_EQ(must(store_->conversations_of(a.id, std::nullopt, 10)).size(), 1u);
}

TEST_P(ConformanceConversations, UnknownMemberRollsBackTheWholeCreate) {
  UserRow a = add_user("amy");
  ConversationRow c{ids_.next(), ConversationType::group, "t", a.id, tick(), 0, 0};
  auto r = store_->create_conversation(
      c, {{c.id, a.id, MemberRole::admin, 0, 1}, {c.id, 777, MemberRole::member, 0, 1}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::not_found);
  EXPECT_FALSE(must(store_->conversation_by_id(c.id)));
  EXPECT_FALSE(must(store_->membership(c.id, a.id)));
  EXPECT_TRUE(must(store_->conversations_of(a.id, std::nullopt, 10)).empty());
}

TEST_P(ConformanceConversations, UpdateTitleAddAndRemove) {
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
  EXPECT_EQ(member_ids(must(store_->members_of(g))), (std::vector<Id>{ann.id, cat.id}));

  // Adding an existing member keeps its row (role included).
  ConversationChange readd;
  readd.add = {{g, ann.id, MemberRole::member, 0, tick()}};
  ASSERT_TRUE(store_->update_conversation(g, readd).ok());
  EXPECT_EQ(must_find(store_->membership(g, ann.id)).role, MemberRole::admin);
  EXPECT_EQ(must(store_->members_of(g)).size(), 2u);

  // A change without a title keeps it.
  ConversationChange untitled;
  untitled.add = {{g, dan.id, MemberRole::member, 0, tick()}};
  ASSERT_TRUE(store_->update_conversation(g, untitled).ok());
  EXPECT_EQ(must_find(store_->conversation_by_id(g)).title, "Renamed");
  ConversationChange out;
  out.remove = {dan.id};
  ASSERT_TRUE(store_->update_conversation(g, out).ok());

  Status gone = store_->update_conversation(g + 999, change);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().kind, ErrorKind::not_found);

  // One bad addition: nothing of the change is applied.
  ConversationChange bad;
  bad.title = "Never";
  bad.add = {{g, dan.id, MemberRole::member, 0, tick()}, {g, 31337, MemberRole::member, 0, tick()}};
  bad.remove = {cat.id};
  ASSERT_FALSE(store_->update_conversation(g, bad).ok());
  EXPECT_EQ(must_find(store_->conversation_by_id(g)).title, "Renamed");
  EXPECT_FALSE(must(store_->membership(g, dan.id)));
  EXPECT_TRUE(must(store_->membership(g, cat.id)));
}

TEST_P(ConformanceConversations, ListMostRecentFirstWithKeysetCursor) {
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
  int pages = 0;
  for (; pages < 10; ++pages) {
    auto list = must(store_->conversations_of(me.id, cursor, 3));
    if (list.empty()) break;
    EXPECT_LE(list.size(), 3u);
    for (const auto& s : list) {
      seen.push_back(s.conversation.id);
      EXPECT_EQ(s.self.user_id, me.id);
      EXPECT_EQ(s.self.conversation_id, s.conversation.id);
    }
    cursor = ActivityCursor{list.back().conversation.last_activity_at, list.back().conversation.id};
  }
  EXPECT_EQ(seen, expected);
  EXPECT_EQ(pages, 3);  // 3 + 3 + 1, then an empty page
  EXPECT_TRUE(must(store_->conversations_of(me.id, std::nullopt, 0)).empty());
  UserRow loner = add_user("loner");
  EXPECT_TRUE(must(store_->conversations_of(loner.id, std::nullopt, 10)).empty());
}

TEST_P(ConformanceConversations, TiesInActivityAreBrokenById) {
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
  for (int pages = 0; pages < 10; ++pages) {
    auto list = must(store_->conversations_of(me.id, cursor, 2));
    if (list.empty()) break;
    for (const auto& s : list) seen.push_back(s.conversation.id);
    cursor = ActivityCursor{list.back().conversation.last_activity_at, list.back().conversation.id};
  }
  EXPECT_EQ(seen, std::vector<Id>(created.rbegin(), created.rend()));
}

TEST_P(ConformanceConversations, SummaryHasSelfLastMessageAndUnread) {
  UserRow me = add_user("me");
  UserRow you = add_user("you");
  Id g = add_group(me.id, {you.id});
  send(g, you.id, "one");
  send(g, me.id, "mine");
  MessageRow three = send(g, you.id, "three");

  auto s = must(store_->conversation_summary(g, me.id));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->conversation.id, g);
  EXPECT_EQ(s->self.user_id, me.id);
  EXPECT_EQ(s->self.role, MemberRole::admin);
  EXPECT_EQ(s->self.last_read_seq, 0);
  ASSERT_TRUE(s->last_message);
  EXPECT_EQ(s->last_message->id, three.id);
  EXPECT_EQ(s->last_message->body, "three");
  EXPECT_EQ(s->last_message->seq, 3);
  EXPECT_EQ(s->unread_count, 2);  // not my own message
  EXPECT_EQ(s->conversation.last_seq, 3);
  EXPECT_EQ(s->conversation.last_activity_at, three.created_at);

  ASSERT_TRUE(store_->soft_delete_message(three.id, tick()).ok());
  s = must(store_->conversation_summary(g, me.id));
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->last_message);
  EXPECT_EQ(s->last_message->id, three.id);
  EXPECT_TRUE(s->last_message->deleted_at);
  EXPECT_TRUE(s->last_message->body.empty());
  EXPECT_EQ(s->unread_count, 1);

  auto list = must(store_->conversations_of(you.id, std::nullopt, 10));
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].unread_count, 1);  // "mine"
  EXPECT_EQ(list[0].self.user_id, you.id);
  EXPECT_EQ(list[0].self.role, MemberRole::member);
  ASSERT_TRUE(list[0].last_message);
  EXPECT_EQ(list[0].last_message->id, three.id);

  UserRow outsider = add_user("out");
  EXPECT_FALSE(must(store_->conversation_summary(g, outsider.id)));
  EXPECT_FALSE(must(store_->conversation_summary(g + 12345, me.id)));
  Id empty = add_group(me.id, {});
  auto e = must(store_->conversation_summary(empty, me.id));
  ASSERT_TRUE(e);
  EXPECT_FALSE(e->last_message);
  EXPECT_EQ(e->unread_count, 0);
}

}  // namespace
}  // namespace parley::store::testing
