// conversations.last_seq is written once per conversation per transaction
// (ConversationSeqs): seqs stay contiguous and the row right when appends share
// a transaction, when a job that appended rolls back its savepoint, when the
// whole transaction is lost, and for a read watermark moved in the same
// transaction.
#include <sqlite3.h>

#include "store/sqlite/conversation_seqs.hpp"
#include "store/sqlite/function_job.hpp"
#include "store/sqlite/message_queries.hpp"
#include "store_test_support.hpp"

namespace parley::store::testing {
namespace {

using sqlite::ConversationSeqs;

TEST(ConversationSeqsTest, ARolledBackJobIsUndoneAndAnEndedTransactionForgotten) {
  ConversationSeqs seqs;
  seqs.appended(1, 5, 100, 5);
  seqs.job_released();
  seqs.appended(1, 6, 90, 6);  // an older clock: activity never goes back
  seqs.appended(2, 1, 200, 1);
  ASSERT_NE(seqs.find(2), nullptr);
  EXPECT_EQ(seqs.find(1)->last_seq, 6);
  EXPECT_EQ(seqs.find(1)->last_activity_at, 100);
  seqs.job_rolled_back();
  EXPECT_EQ(seqs.find(1)->last_seq, 5);  // as the released job left it
  EXPECT_EQ(seqs.find(2), nullptr);      // first touched by the rolled-back job
  seqs.appended(1, 6, 300, 6);
  seqs.job_released();
  seqs.job_rolled_back();  // nothing of the released job is undone
  EXPECT_EQ(seqs.find(1)->last_seq, 6);
  EXPECT_EQ(seqs.find(1)->last_activity_at, 300);
  seqs.transaction_ended();
  EXPECT_EQ(seqs.find(1), nullptr);
  EXPECT_EQ(seqs.size(), 0u);
}

class SeqsTest : public GroupOfTwoTest {
 protected:
  void SetUp() override {
    GroupOfTwoTest::SetUp();
    h_ = add_group(you_.id, {me_.id});  // a second conversation, created by "you"
  }

  std::future<Result<AppendResult>> append_async(Id conversation, Id sender, const std::string& body) {
    auto promise = std::make_shared<std::promise<Result<AppendResult>>>();
    auto future = promise->get_future();
    store_->append_message_async(draft(conversation, sender, body),
                                 [promise](Result<AppendResult> r) { promise->set_value(std::move(r)); });
    return future;
  }

  // A job queued like any other: runs `fn` inside its savepoint, result as returned.
  std::future<Result<std::monostate>> job(std::function<Result<std::monostate>(sqlite::Connection&)> fn) {
    auto promise = std::make_shared<std::promise<Result<std::monostate>>>();
    auto future = promise->get_future();
    EXPECT_TRUE(impl().submit_for_test(sqlite::make_job<std::monostate>(
        std::move(fn), [promise](Result<std::monostate> r) { promise->set_value(std::move(r)); })));
    return future;
  }

  std::promise<void> hold() {
    return hold_writer([&](std::unique_ptr<sqlite::WriteJob> j) { return impl().submit_for_test(std::move(j)); });
  }

  void wait_queued(std::size_t n) {
    while (impl().write_queue_depth() < n) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }

  Id h_ = 0;
};

TEST_F(SeqsTest, AppendsSharingATransactionGetContiguousSeqsAndMoveTheRowOnce) {
  send(g_, me_.id, "committed before");  // seq 1, read from the row by the next transaction
  auto gate = hold();
  std::vector<std::future<Result<AppendResult>>> in_g, in_h;
  for (int i = 0; i < 5; ++i) {
    in_g.push_back(append_async(g_, i % 2 ? me_.id : you_.id, "g"));
    in_h.push_back(append_async(h_, me_.id, "h"));
  }
  wait_queued(10);
  auto before = impl().writer_stats();
  gate.set_value();
  Seq expected_g = 2, expected_h = 1;
  TimeMs newest = 0;
  for (auto& f : in_g) {
    auto r = f.get();
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->message.seq, expected_g++);
    newest = std::max(newest, r->message.created_at);
  }
  for (auto& f : in_h) {
    auto r = f.get();
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->message.seq, expected_h++);
  }
  EXPECT_EQ(impl().writer_stats().transactions - before.transactions, 2u);  // the gate's, then all ten
  EXPECT_EQ(must_find(store_->conversation_by_id(g_)).last_seq, 6);
  EXPECT_EQ(must_find(store_->conversation_by_id(g_)).last_activity_at, newest);
  EXPECT_EQ(must_find(store_->conversation_by_id(h_)).last_seq, 5);
  EXPECT_EQ(send(g_, me_.id, "next transaction").seq, 7);
  reopen();
  EXPECT_EQ(must_find(store_->conversation_by_id(g_)).last_seq, 7);
}

TEST_F(SeqsTest, AJobThatRollsBackAfterAppendingLeavesNoGap) {
  auto gate = hold();
  auto first = append_async(g_, me_.id, "kept");
  // Appends (taking seq 2 and touching h_ for the first time), then fails:
  // its savepoint is rolled back, and so is what it told ConversationSeqs.
  auto failed = job([&](sqlite::Connection& db) -> Result<std::monostate> {
    auto a = sqlite::append_message(db, impl().seqs_for_test(), draft(g_, me_.id, "rolled back"));
    auto b = sqlite::append_message(db, impl().seqs_for_test(), draft(h_, me_.id, "rolled back too"));
    if (!a || !b || a->message.seq != 2 || b->message.seq != 1) return Error::internal("unexpected append");
    return Error::conflict("changed_my_mind", "roll this job back");
  });
  auto second = append_async(g_, you_.id, "kept too");
  auto third = append_async(h_, you_.id, "first in h");
  wait_queued(4);
  gate.set_value();
  EXPECT_EQ(first.get()->message.seq, 1);
  auto f = failed.get();
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().code, "changed_my_mind");
  EXPECT_EQ(second.get()->message.seq, 2);
  EXPECT_EQ(third.get()->message.seq, 1);
  EXPECT_EQ(must_find(store_->conversation_by_id(g_)).last_seq, 2);
  EXPECT_EQ(must_find(store_->conversation_by_id(h_)).last_seq, 1);
  EXPECT_EQ(seqs(must(store_->messages(g_, std::nullopt, std::nullopt, 10))), (std::vector<Seq>{1, 2}));
  EXPECT_EQ(must(store_->messages(g_, std::nullopt, std::nullopt, 10))[1].body, "kept too");
}

TEST_F(SeqsTest, FailedAsyncAppendsInABatchChangeNothingAndTakeNoSeq) {
  // Asynchronous appends run without a savepoint of their own (WriteJob::atomic):
  // a failing one must leave the database and the seqs as they were.
  UserRow out = add_user("outsider");
  send(h_, me_.id, "taken elsewhere", "dup-1");
  auto gate = hold();
  auto a = append_async(g_, me_.id, "a");
  auto not_member = append_async(g_, out.id, "not a member");
  auto reused = std::make_shared<std::promise<Result<AppendResult>>>();
  store_->append_message_async(draft(g_, me_.id, "reused id", "dup-1"),
                               [reused](Result<AppendResult> r) { reused->set_value(std::move(r)); });
  auto repeat = std::make_shared<std::promise<Result<AppendResult>>>();
  store_->append_message_async(draft(h_, me_.id, "a retry", "dup-1"),
                               [repeat](Result<AppendResult> r) { repeat->set_value(std::move(r)); });
  auto b = append_async(g_, you_.id, "b");
  wait_queued(5);
  auto before = impl().writer_stats();
  gate.set_value();
  EXPECT_EQ(a.get()->message.seq, 1);
  auto n = not_member.get();
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.error().kind, ErrorKind::not_found);
  // The same clientMsgId in another conversation is another message (the key
  // is per conversation): it takes the next seq there.
  auto r = reused->get_future().get();
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->created);
  EXPECT_EQ(r->message.seq, 2);
  auto again = repeat->get_future().get();
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->message.seq, 1);
  EXPECT_EQ(again->message.body, "taken elsewhere");
  EXPECT_EQ(b.get()->message.seq, 3);
  EXPECT_EQ(impl().writer_stats().transactions - before.transactions, 2u);  // the gate's, then one
  EXPECT_EQ(impl().writer_stats().failed_transactions, before.failed_transactions);
  EXPECT_EQ(seqs(must(store_->messages(g_, std::nullopt, std::nullopt, 10))), (std::vector<Seq>{1, 2, 3}));
  EXPECT_EQ(must_find(store_->conversation_by_id(g_)).last_seq, 3);
  EXPECT_EQ(must_find(store_->conversation_by_id(h_)).last_seq, 1);
}

TEST_F(SeqsTest, ALostTransactionForgetsItsSeqs) {
  send(g_, me_.id, "committed before");
  auto gate = hold();
  auto lost = append_async(g_, me_.id, "lost with its transaction");  // would be seq 2
  // Ends the transaction under the writer's feet, as SQLite does after an I/O
  // error: every job of it fails, nothing of it is stored.
  auto breaker = job([](sqlite::Connection& db) -> Result<std::monostate> {
    db.exec("ROLLBACK");
    return std::monostate{};
  });
  auto next = append_async(g_, you_.id, "in the next transaction");
  wait_queued(3);
  gate.set_value();
  auto l = lost.get();
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.error().kind, ErrorKind::unavailable);
  EXPECT_FALSE(breaker.get().ok());
  auto n = next.get();
  ASSERT_TRUE(n.ok()) << n.error().message;
  EXPECT_EQ(n->message.seq, 2);  // not 3: seq 2 was never committed
  EXPECT_EQ(must_find(store_->conversation_by_id(g_)).last_seq, 2);
  EXPECT_EQ(seqs(must(store_->messages(g_, std::nullopt, std::nullopt, 10))), (std::vector<Seq>{1, 2}));
}

TEST_F(SeqsTest, AWatermarkMovedInTheSameTransactionSeesItsAppends) {
  auto gate = hold();
  std::vector<std::future<Result<AppendResult>>> sent;
  for (int i = 0; i < 3; ++i) sent.push_back(append_async(g_, me_.id, "m"));
  wait_queued(3);
  // Queued behind the appends, so in the same transaction: last_seq must read
  // 3 there (the row still says 0 until ConversationSeqs writes it).
  auto read = std::async(std::launch::async, [&] { return store_->advance_read(g_, you_.id, 3); });
  wait_queued(4);
  gate.set_value();
  for (auto& f : sent) ASSERT_TRUE(f.get().ok());
  auto state = read.get();
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->last_read_seq, 3);
  EXPECT_EQ(state->unread_count, 0);
  EXPECT_EQ(must_find(store_->conversation_by_id(g_)).last_seq, 3);
}

}  // namespace
}  // namespace parley::store::testing
