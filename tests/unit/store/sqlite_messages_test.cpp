#include "store_test_support.hpp"

namespace parley::store::testing {
namespace {

using MessagesTest = GroupOfTwoTest;

TEST_F(MessagesTest, AppendAssignsSeqAndMovesTheConversation) {
  MessageRow a = send(g_, me_.id, "first");
  MessageRow b = send(g_, you_.id, "second");
  EXPECT_EQ(a.seq, 1);
  EXPECT_EQ(b.seq, 2);
  auto c = must(store_->conversation_by_id(g_));
  EXPECT_EQ(c->last_seq, 2);
  EXPECT_EQ(c->last_activity_at, b.created_at);

  auto stored = must(store_->message_by_id(b.id));
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->body, "second");
  EXPECT_EQ(stored->sender_id, you_.id);
  EXPECT_EQ(stored->conversation_id, g_);
  EXPECT_EQ(stored->client_msg_id, b.client_msg_id);
  EXPECT_EQ(stored->created_at, b.created_at);
  EXPECT_FALSE(stored->deleted_at);
  EXPECT_FALSE(must(store_->message_by_id(b.id + 1)));
}

TEST_F(MessagesTest, RepeatedClientMsgIdIsIdempotent) {
  auto first = store_->append_message(draft(g_, me_.id, "hello", "retry-1"));
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->created);
  auto again = store_->append_message(draft(g_, me_.id, "hello (retry)", "retry-1"));
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->message.id, first->message.id);
  EXPECT_EQ(again->message.seq, first->message.seq);
  EXPECT_EQ(again->message.body, "hello");
  EXPECT_EQ(must_find(store_->conversation_by_id(g_)).last_seq, 1);
  EXPECT_EQ(must(store_->messages(g_, std::nullopt, std::nullopt, 100)).size(), 1u);

  // Another sender may use the same client id.
  auto other = store_->append_message(draft(g_, you_.id, "hi", "retry-1"));
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(other->created);
  EXPECT_EQ(other->message.seq, 2);

  // The same sender reusing it elsewhere is a conflict, not a message from another room.
  Id h = add_group(me_.id, {});
  auto elsewhere = store_->append_message(draft(h, me_.id, "x", "retry-1"));
  ASSERT_FALSE(elsewhere.ok());
  EXPECT_EQ(elsewhere.error().kind, ErrorKind::conflict);
  EXPECT_EQ(must_find(store_->conversation_by_id(h)).last_seq, 0);
}

TEST_F(MessagesTest, NonMembersAndUnknownConversationsAreNotFound) {
  UserRow out = add_user("outsider");
  auto r = store_->append_message(draft(g_, out.id, "let me in"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::not_found);
  r = store_->append_message(draft(g_ + 1000, me_.id, "void"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::not_found);
  EXPECT_EQ(must_find(store_->conversation_by_id(g_)).last_seq, 0);
}

TEST_F(MessagesTest, PagesFollowTheHeaderSemantics) {
  for (int i = 1; i <= 10; ++i) send(g_, i % 2 ? me_.id : you_.id, "m" + std::to_string(i));
  auto page = [&](std::optional<Seq> before, std::optional<Seq> after, int limit) {
    return seqs(must(store_->messages(g_, before, after, limit)));
  };
  using V = std::vector<Seq>;
  EXPECT_EQ(page(std::nullopt, std::nullopt, 3), (V{8, 9, 10}));
  EXPECT_EQ(page(std::nullopt, std::nullopt, 100).size(), 10u);
  EXPECT_EQ(page(std::nullopt, 2, 3), (V{3, 4, 5}));
  EXPECT_EQ(page(5, std::nullopt, 3), (V{2, 3, 4}));
  EXPECT_EQ(page(3, std::nullopt, 10), (V{1, 2}));
  EXPECT_EQ(page(9, 2, 3), (V{3, 4, 5}));
  EXPECT_EQ(page(4, 2, 10), (V{3}));
  EXPECT_EQ(page(3, 2, 10), V{});
  EXPECT_EQ(page(std::nullopt, 10, 10), V{});
  EXPECT_EQ(page(1, std::nullopt, 10), V{});
  EXPECT_EQ(page(std::nullopt, 0, 2), (V{1, 2}));
  EXPECT_EQ(page(std::nullopt, std::nullopt, 0), V{});
  EXPECT_EQ(page(std::nullopt, std::nullopt, -5), V{});
  EXPECT_TRUE(must(store_->messages(g_ + 1, std::nullopt, std::nullopt, 10)).empty());

  // Walking backwards then forwards with the cursors covers everything once.
  V all;
  std::optional<Seq> before;
  while (true) {
    auto p = page(before, std::nullopt, 4);
    if (p.empty()) break;
    all.insert(all.begin(), p.begin(), p.end());
    before = p.front();
  }
  EXPECT_EQ(all, page(std::nullopt, std::nullopt, 100));
}

TEST_F(MessagesTest, SoftDeleteKeepsATombstoneAndIsIdempotent) {
  MessageRow a = send(g_, me_.id, "secret");
  send(g_, you_.id, "reply");
  auto t = store_->soft_delete_message(a.id, 111);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->id, a.id);
  EXPECT_EQ(t->seq, 1);
  EXPECT_TRUE(t->body.empty());
  EXPECT_EQ(t->deleted_at, 111);
  auto twice = store_->soft_delete_message(a.id, 222);
  ASSERT_TRUE(twice.ok());
  EXPECT_EQ(twice->deleted_at, 111);

  auto page = must(store_->messages(g_, std::nullopt, std::nullopt, 10));
  ASSERT_EQ(page.size(), 2u);
  EXPECT_TRUE(page[0].deleted_at);
  EXPECT_TRUE(page[0].body.empty());
  EXPECT_EQ(page[1].body, "reply");
  // Catch-up after seq 0 sees the deletion.
  EXPECT_TRUE(must(store_->messages(g_, std::nullopt, 0, 10))[0].deleted_at);

  auto missing = store_->soft_delete_message(a.id + 100000, 1);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::not_found);
}

TEST_F(MessagesTest, UnreadCountsAndAWatermarkThatNeverMovesBack) {
  for (int i = 0; i < 5; ++i) send(g_, you_.id, "y" + std::to_string(i));  // seq 1..5
  send(g_, me_.id, "mine");                                               // seq 6
  MessageRow seven = send(g_, you_.id, "y5");                             // seq 7
  EXPECT_EQ(must(store_->unread_count(g_, me_.id)), 6);
  EXPECT_EQ(must(store_->unread_count(g_, you_.id)), 1);

  auto r = store_->advance_read(g_, me_.id, 3);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->conversation_id, g_);
  EXPECT_EQ(r->last_read_seq, 3);
  EXPECT_EQ(r->unread_count, 3);  // 4, 5, 7

  r = store_->advance_read(g_, me_.id, 2);  // backwards: ignored
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->last_read_seq, 3);
  EXPECT_EQ(must_find(store_->membership(g_, me_.id)).last_read_seq, 3);

  ASSERT_TRUE(store_->soft_delete_message(seven.id, tick()).ok());
  EXPECT_EQ(must(store_->unread_count(g_, me_.id)), 2);

  r = store_->advance_read(g_, me_.id, 1000);  // beyond the end: clamped
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->last_read_seq, 7);
  EXPECT_EQ(r->unread_count, 0);

  UserRow out = add_user("outsider");
  auto no = store_->advance_read(g_, out.id, 1);
  ASSERT_FALSE(no.ok());
  EXPECT_EQ(no.error().kind, ErrorKind::not_found);
  EXPECT_EQ(must(store_->unread_count(g_, out.id)), 0);
}

TEST_F(MessagesTest, AsyncAppendCompletesOnTheWriterThreadAfterCommit) {
  std::promise<Result<AppendResult>> done;
  std::promise<std::thread::id> where;
  store_->append_message_async(draft(g_, me_.id, "async"), [&](Result<AppendResult> r) {
    where.set_value(std::this_thread::get_id());
    done.set_value(std::move(r));
  });
  auto r = done.get_future().get();
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->created);
  EXPECT_EQ(r->message.seq, 1);
  EXPECT_NE(where.get_future().get(), std::this_thread::get_id());
  EXPECT_TRUE(must(store_->message_by_id(r->message.id)));  // visible to readers: committed
}

TEST_F(MessagesTest, TextIsStoredByteForByte) {
  std::string body = "h\xC3\xA9llo \xF0\x9F\x91\x8B 'quotes' \"dq\" ; DROP TABLE messages; --";
  body += std::string(4000, 'x');
  MessageRow m = send(g_, me_.id, body, "emoji-\xF0\x9F\x98\x80");
  auto got = must(store_->message_by_id(m.id));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->body, body);
  EXPECT_EQ(got->client_msg_id, "emoji-\xF0\x9F\x98\x80");
}

}  // namespace
}  // namespace parley::store::testing
