// Messages: append with gapless per-conversation seqs, idempotent retries,
// members only, pages, soft delete, read watermarks and unread counts. Every
// backend (conformance_fixture.hpp).
#include <atomic>
#include <future>
#include <memory>
#include <thread>

#include "conformance_fixture.hpp"

namespace parley::store::testing {
namespace {

class ConformanceMessages : public ConformanceGroupOfTwo {};
CONFORMANCE_OVER_ALL_BACKENDS(ConformanceMessages);

TEST_P(ConformanceMessages, AppendAssignsSeqAndMovesTheConversation) {
  MessageRow a = send(g_, me_.id, "first");
  MessageRow b = send(g_, you_.id, "second");
  EXPECT_EQ(a.seq, 1);
  EXPECT_EQ(b.seq, 2);
  auto c = must_find(store_->conversation_by_id(g_));
  EXPECT_EQ(c.last_seq, 2);
  EXPECT_EQ(c.last_activity_at, b.created_at);

  auto stored = must(store_->message_by_id(b.id));
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->id, b.id);
  EXPECT_EQ(stored->seq, 2);
  EXPECT_EQ(stored->body, "second");
  EXPECT_EQ(stored->sender_id, you_.id);
  EXPECT_EQ(stored->conversation_id, g_);
  EXPECT_EQ(stored->client_msg_id, b.client_msg_id);
  EXPECT_EQ(stored->created_at, b.created_at);
  EXPECT_FALSE(stored->deleted_at);
  EXPECT_FALSE(must(store_->message_by_id(b.id + 1)));
}

TEST_P(ConformanceMessages, EachConversationCountsItsOwnSeqs) {
  Id h = add_group(you_.id, {me_.id});
  EXPECT_EQ(send(g_, me_.id, "g1").seq, 1);
  EXPECT_EQ(send(h, me_.id, "h1").seq, 1);
  EXPECT_EQ(send(g_, you_.id, "g2").seq, 2);
  EXPECT_EQ(send(h, you_.id, "h2").seq, 2);
  EXPECT_EQ(send(h, you_.id, "h3").seq, 3);
  EXPECT_EQ(seqs(must(store_->messages(g_, std::nullopt, std::nullopt, 10))), (std::vector<Seq>{1, 2}));
  auto in_h = must(store_->messages(h, std::nullopt, std::nullopt, 10));
  EXPECT_EQ(seqs(in_h), (std::vector<Seq>{1, 2, 3}));
  for (const auto& m : in_h) EXPECT_EQ(m.conversation_id, h);
  EXPECT_EQ(must_find(store_->conversation_by_id(g_)).last_seq, 2);
  EXPECT_EQ(must_find(store_->conversation_by_id(h)).last_seq, 3);
}

TEST_P(ConformanceMessages, RepeatedClientMsgIdIsIdempotent) {
  auto first = store_->append_message(draft(g_, me_.id, "hello", "retry-1"));
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->created);
  auto again = store_->append_message(draft(g_, me_.id, "hello (retry)", "retry-1"));
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->message.id, first->message.id);
  EXPECT_EQ(again->message.seq, first->message.seq);
  EXPECT_EQ(again->message.body, "hello");
  EXPECT_EQ(again->message.created_at, first->message.created_at);
  EXPECT_EQ(must_find(store_->conversation_by_id(g_)).last_seq, 1);
  EXPECT_EQ(must(store_->messages(g_, std::nullopt, std::nullopt, 100)).size(), 1u);

  // Another sender may use the same client id.
  auto other = store_->append_message(draft(g_, you_.id, "hi", "retry-1"));
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(other->created);
  EXPECT_EQ(other->message.seq, 2);

  // The key is scoped to the conversation: the same sender's id elsewhere is
  // another message there, and the first conversation is untouched.
  Id h = add_group(me_.id, {});
  auto elsewhere = store_->append_message(draft(h, me_.id, "x", "retry-1"));
  ASSERT_TRUE(elsewhere.ok());
  EXPECT_TRUE(elsewhere->created);
  EXPECT_EQ(elsewhere->message.seq, 1);
  EXPECT_NE(elsewhere->message.id, first->message.id);
  EXPECT_EQ(must_find(store_->conversation_by_id(h)).last_seq, 1);
  EXPECT_EQ(must_find(store_->conversation_by_id(g_)).last_seq, 2);
  auto retry_elsewhere = store_->append_message(draft(h, me_.id, "x again", "retry-1"));
  ASSERT_TRUE(retry_elsewhere.ok());
  EXPECT_FALSE(retry_elsewhere->created);
  EXPECT_EQ(retry_elsewhere->message.id, elsewhere->message.id);
}

TEST_P(ConformanceMessages, NonMembersAndUnknownConversationsAreNotFound) {
  UserRow out = add_user("outsider");
  auto r = store_->append_message(draft(g_, out.id, "let me in"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::not_found);
  r = store_->append_message(draft(g_ + 1000, me_.id, "void"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::not_found);
  EXPECT_EQ(must_find(store_->conversation_by_id(g_)).last_seq, 0);
  EXPECT_TRUE(must(store_->messages(g_, std::nullopt, std::nullopt, 10)).empty());
  // A refused append took no seq.
  EXPECT_EQ(send(g_, me_.id, "first").seq, 1);
}

TEST_P(ConformanceMessages, PagesFollowTheHeaderSemantics) {
  for (int i = 1; i <= 10; ++i) send(g_, i % 2 ? me_.id : you_.id, "m" + std::to_string(i));
  auto page = [&](std::optional<Seq> before, std::optional<Seq> after, int limit) {
    return seqs(must(store_->messages(g_, before, after, limit)));
  };
  using V = std::vector<Seq>;
  EXPECT_EQ(page(std::nullopt, std::nullopt, 3), (V{8, 9, 10}));
  EXPECT_EQ(page(std::nullopt, std::nullopt, 100), (V{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
  EXPECT_EQ(page(std::nullopt, 2, 3), (V{3, 4, 5}));
  EXPECT_EQ(page(std::nullopt, 7, 100), (V{8, 9, 10}));
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
  // Bodies come with their seqs.
  auto rows = must(store_->messages(g_, 4, 2, 10));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].body, "m3");
  EXPECT_EQ(rows[0].sender_id, me_.id);

  // Walking backwards then forwards with the cursors covers everything once.
  V all;
  std::optional<Seq> before;
  for (int pages = 0; pages < 10; ++pages) {
    auto p = page(before, std::nullopt, 4);
    if (p.empty()) break;
    all.insert(all.begin(), p.begin(), p.end());
    before = p.front();
  }
  EXPECT_EQ(all, page(std::nullopt, std::nullopt, 100));
  V forward;
  Seq after = 0;
  for (int pages = 0; pages < 10; ++pages) {
    auto p = page(std::nullopt, after, 3);
    if (p.empty()) break;
    forward.insert(forward.end(), p.begin(), p.end());
    after = p.back();
  }
  EXPECT_EQ(forward, all);
}

TEST_P(ConformanceMessages, SoftDeleteKeepsATombstoneAndIsIdempotent) {
  MessageRow a = send(g_, me_.id, "secret");
  send(g_, you_.id, "reply");
  auto t = store_->soft_delete_message(a.id, 111);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->id, a.id);
  EXPECT_EQ(t->seq, 1);
  EXPECT_EQ(t->conversation_id, g_);
  EXPECT_EQ(t->sender_id, me_.id);
  EXPECT_TRUE(t->body.empty());
  EXPECT_EQ(t->deleted_at, 111);
  auto twice = store_->soft_delete_message(a.id, 222);
  ASSERT_TRUE(twice.ok());
  EXPECT_EQ(twice->deleted_at, 111);
  EXPECT_TRUE(twice->body.empty());

  auto stored = must_find(store_->message_by_id(a.id));
  EXPECT_TRUE(stored.body.empty());
  EXPECT_EQ(stored.deleted_at, 111);
  auto page = must(store_->messages(g_, std::nullopt, std::nullopt, 10));
  ASSERT_EQ(page.size(), 2u);
  EXPECT_TRUE(page[0].deleted_at);
  EXPECT_TRUE(page[0].body.empty());
  EXPECT_EQ(page[1].body, "reply");
  EXPECT_FALSE(page[1].deleted_at);
  // Catch-up after seq 0 sees the deletion.
  auto catch_up = must(store_->messages(g_, std::nullopt, 0, 10));
  ASSERT_FALSE(catch_up.empty());
  EXPECT_TRUE(catch_up[0].deleted_at);
  // Deleting does not move the conversation's seq.
  EXPECT_EQ(must_find(store_->conversation_by_id(g_)).last_seq, 2);

  auto missing = store_->soft_delete_message(a.id + 100000, 1);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::not_found);
}

TEST_P(ConformanceMessages, UnreadCountsAndAWatermarkThatNeverMovesBack) {
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
  EXPECT_EQ(must(store_->unread_count(g_, me_.id)), 3);

  r = store_->advance_read(g_, me_.id, 2);  // backwards: ignored
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->last_read_seq, 3);
  EXPECT_EQ(r->unread_count, 3);
  EXPECT_EQ(must_find(store_->membership(g_, me_.id)).last_read_seq, 3);
  EXPECT_EQ(must_find(store_->conversation_summary(g_, me_.id)).self.last_read_seq, 3);

  ASSERT_TRUE(store_->soft_delete_message(seven.id, tick()).ok());
  EXPECT_EQ(must(store_->unread_count(g_, me_.id)), 2);

  r = store_->advance_read(g_, me_.id, 1000);  // beyond the end: clamped
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->last_read_seq, 7);
  EXPECT_EQ(r->unread_count, 0);
  EXPECT_EQ(must_find(store_->membership(g_, me_.id)).last_read_seq, 7);
  // The other member's watermark did not move.
  EXPECT_EQ(must_find(store_->membership(g_, you_.id)).last_read_seq, 0);

  UserRow out = add_user("outsider");
  auto no = store_->advance_read(g_, out.id, 1);
  ASSERT_FALSE(no.ok());
  EXPECT_EQ(no.error().kind, ErrorKind::not_found);
  auto nowhere = store_->advance_read(g_ + 1000, me_.id, 1);
  ASSERT_FALSE(nowhere.ok());
  EXPECT_EQ(nowhere.error().kind, ErrorKind::not_found);
  EXPECT_EQ(must(store_->unread_count(g_, out.id)), 0);
}

TEST_P(ConformanceMessages, TextIsStoredByteForByte) {
  std::string body = "h\xC3\xA9llo \xF0\x9F\x91\x8B 'quotes' \"dq\" \\backslash ; DROP TABLE messages; --";
  body += std::string(4000, 'x');
  MessageRow m = send(g_, me_.id, body, "emoji-\xF0\x9F\x98\x80");
  auto got = must(store_->message_by_id(m.id));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->body, body);
  EXPECT_EQ(got->client_msg_id, "emoji-\xF0\x9F\x98\x80");
  auto page = must(store_->messages(g_, std::nullopt, std::nullopt, 1));
  ASSERT_EQ(page.size(), 1u);
  EXPECT_EQ(page[0].body, body);
}

TEST_P(ConformanceMessages, AsyncAppendCompletesOnceAfterCommitOnAStoreThread) {
  // Shared with the callback: a (wrong) second call may come after this test.
  struct Outcome {
    std::atomic<int> calls{0};
    std::promise<Result<AppendResult>> result;
    std::promise<std::thread::id> thread;
  };
  auto outcome = std::make_shared<Outcome>();
  store_->append_message_async(draft(g_, me_.id, "async"), [outcome](Result<AppendResult> r) {
    if (outcome->calls++ > 0) return;  // counted, never answered twice
    outcome->thread.set_value(std::this_thread::get_id());
    outcome->result.set_value(std::move(r));
  });
  auto r = outcome->result.get_future().get();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->created);
  EXPECT_EQ(r->message.seq, 1);
  EXPECT_EQ(r->message.body, "async");
  EXPECT_NE(outcome->thread.get_future().get(), std::this_thread::get_id());
  EXPECT_TRUE(must(store_->message_by_id(r->message.id)));  // visible to readers: committed
  EXPECT_EQ(send(g_, me_.id, "sync").seq, 2);
  EXPECT_EQ(outcome->calls.load(), 1);
}

TEST_P(ConformanceMessages, AsyncAppendFailuresComeBackAsValues) {
  UserRow out = add_user("outsider");
  auto done = std::make_shared<std::promise<Result<AppendResult>>>();
  store_->append_message_async(draft(g_, out.id, "not a member"),
                               [done](Result<AppendResult> r) { done->set_value(std::move(r)); });
  auto r = done->get_future().get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::not_found);
  EXPECT_EQ(must_find(store_->conversation_by_id(g_)).last_seq, 0);
}

}  // namespace
}  // namespace parley::store::testing
