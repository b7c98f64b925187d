// FaultyStore over a real SQLite store: it forwards what it is not told to
// fail, fails with unavailable what it is, and a failed call reaches nothing.
#include "faulty_store.hpp"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "backends.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store_builders.hpp"
#include "temp_dir.hpp"

namespace parley::store::testing {
namespace {

class FaultyStoreTest : public ::testing::Test, public StoreBuilders {
 protected:
  void SetUp() override {
    spdlog::set_level(spdlog::level::warn);
    real_ = sqlite_backend().open();
    ASSERT_NE(real_, nullptr);
    faulty_ = std::make_unique<FaultyStore>(real_->store());
  }
  void TearDown() override {
    faulty_.reset();  // before the real store it borrows
    real_.reset();
  }
  Store& store() override { return *faulty_; }
  Store& real() { return real_->store(); }

  static void expect_injected(const Error& e, const std::string& method) {
    EXPECT_EQ(e.kind, ErrorKind::unavailable);
    EXPECT_EQ(e.message, "injected fault: " + method);
  }

  // Appends through the faulty store asynchronously; the outcome and the thread
  // `done` ran on. The state is shared: `done` could (wrongly) come late.
  struct Completion {
    std::promise<Result<AppendResult>> result;
    std::thread::id thread;
    std::atomic<int> calls{0};
  };
  std::shared_ptr<Completion> append_async(const MessageRow& d) {
    auto c = std::make_shared<Completion>();
    faulty_->append_message_async(d, [c](Result<AppendResult> r) {
      if (c->calls++ > 0) return;
      c->thread = std::this_thread::get_id();
      c->result.set_value(std::move(r));
    });
    return c;
  }

  std::unique_ptr<TestStore> real_;
  std::unique_ptr<FaultyStore> faulty_;
};

TEST_F(FaultyStoreTest, ForwardsEverythingWhileHealthy) {
  UserRow a = add_user("ann");
  UserRow b = add_user("ben");
  Id g = add_group(a.id, {b.id});
  MessageRow m = send(g, b.id, "hello");
  EXPECT_TRUE(faulty_->ping().ok());
  EXPECT_EQ(must_find(faulty_->user_by_id(a.id)).username, "ann");
  EXPECT_EQ(must_find(faulty_->user_by_login("BEN")).id, b.id);
  EXPECT_EQ(must(faulty_->users_by_ids({a.id, b.id})).size(), 2u);
  EXPECT_EQ(must(faulty_->search_users("be", a.id, 10)).size(), 1u);
  EXPECT_TRUE(faulty_->set_last_seen(a.id, 5).ok());
  EXPECT_EQ(must(faulty_->contacts_of(a.id)), std::vector<Id>{b.id});
  EXPECT_EQ(must_find(faulty_->conversation_by_id(g)).last_seq, 1);
  EXPECT_TRUE(must(faulty_->membership(g, b.id)));
  EXPECT_EQ(must(faulty_->members_of(g)).size(), 2u);
  EXPECT_EQ(must(faulty_->conversations_of(a.id, std::nullopt, 10)).size(), 1u);
  EXPECT_EQ(must_find(faulty_->conversation_summary(g, a.id)).unread_count, 1);
  ConversationChange rename;
  rename.title = "renamed";
  EXPECT_TRUE(faulty_->update_conversation(g, rename).ok());
  EXPECT_EQ(must_find(faulty_->message_by_id(m.id)).body, "hello");
  EXPECT_EQ(must(faulty_->messages(g, std::nullopt, std::nullopt, 10)).size(), 1u);
  EXPECT_EQ(must(faulty_->unread_count(g, a.id)), 1);
  EXPECT_TRUE(faulty_->advance_read(g, a.id, 1).ok());
  EXPECT_TRUE(faulty_->soft_delete_message(m.id, 7).ok());
  auto async = append_async(draft(g, a.id, "async"));
  auto r = async->result.get_future().get();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->message.seq, 2);
  // Everything reached the real store, and it was counted.
  EXPECT_EQ(must_find(real().conversation_by_id(g)).title, "renamed");
  EXPECT_EQ(must_find(real().message_by_id(m.id)).deleted_at, 7);
  EXPECT_EQ(faulty_->injected(), 0);
  EXPECT_EQ(faulty_->calls(StoreCall::insert_user), 2);
  EXPECT_EQ(faulty_->calls(StoreCall::append_message_async), 1);
  EXPECT_EQ(faulty_->stats().write_transactions, real().stats().write_transactions);
}

TEST_F(FaultyStoreTest, FailsTheNextNCallsThenForwardsAgain) {
  UserRow a = add_user("ann");
  faulty_->fail_next(2);
  auto first = faulty_->user_by_id(a.id);
  ASSERT_FALSE(first.ok());
  expect_injected(first.error(), "user_by_id");
  UserRow b{ids_.next(), "ben", "ben@example.com", "Ben", "h", 1, 0};
  Status second = faulty_->insert_user(b);
  ASSERT_FALSE(second.ok());
  expect_injected(second.error(), "insert_user");
  // The failed write never reached the backend.
  EXPECT_FALSE(must(real().user_by_id(b.id)));
  // The third call goes through.
  EXPECT_TRUE(faulty_->insert_user(b).ok());
  EXPECT_TRUE(must(faulty_->user_by_id(b.id)));
  EXPECT_EQ(faulty_->injected(), 2);
  EXPECT_EQ(faulty_->calls(StoreCall::user_by_id), 2);
}

TEST_F(FaultyStoreTest, FailNextCanCountOnlySomeMethods) {
  UserRow a = add_user("ann");
  Id g = add_group(a.id, {});
  faulty_->fail_next(1, {StoreCall::append_message});
  EXPECT_TRUE(must(faulty_->user_by_id(a.id)));  // not counted
  auto failed = faulty_->append_message(draft(g, a.id, "lost"));
  ASSERT_FALSE(failed.ok());
  expect_injected(failed.error(), "append_message");
  EXPECT_EQ(must_find(real().conversation_by_id(g)).last_seq, 0);  // changed nothing
  EXPECT_EQ(send(g, a.id, "kept").seq, 1);
  EXPECT_EQ(faulty_->injected(), 1);
}

TEST_F(FaultyStoreTest, FailsEveryCallOfGivenMethodsUntilHealed) {
  UserRow a = add_user("ann");
  Id g = add_group(a.id, {});
  faulty_->fail_always(FaultyStore::reads());
  for (int i = 0; i < 3; ++i) {
    auto r = faulty_->conversation_by_id(g);
    ASSERT_FALSE(r.ok());
    expect_injected(r.error(), "conversation_by_id");
  }
  auto page = faulty_->messages(g, std::nullopt, std::nullopt, 10);
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(page.error().kind, ErrorKind::unavailable);
  auto unread = faulty_->unread_count(g, a.id);
  ASSERT_FALSE(unread.ok());
  EXPECT_EQ(unread.error().kind, ErrorKind::unavailable);
  // Writes still go through while reads fail.
  EXPECT_EQ(send(g, a.id, "written").seq, 1);
  EXPECT_TRUE(faulty_->ping().ok());

  faulty_->fail_always({StoreCall::ping});
  EXPECT_FALSE(faulty_->ping().ok());
  faulty_->heal();
  EXPECT_TRUE(faulty_->ping().ok());
  EXPECT_EQ(must_find(faulty_->conversation_by_id(g)).last_seq, 1);
  EXPECT_EQ(faulty_->injected(), 6);
}

TEST_F(FaultyStoreTest, FailedAsyncAppendCompletesOnceOnItsOwnThread) {
  UserRow a = add_user("ann");
  Id g = add_group(a.id, {});
  faulty_->fail_always({StoreCall::append_message_async});
  auto c = append_async(draft(g, a.id, "lost"));
  auto r = c->result.get_future().get();
  ASSERT_FALSE(r.ok());
  expect_injected(r.error(), "append_message_async");
  EXPECT_NE(c->thread, std::this_thread::get_id());
  faulty_.reset();  // delivers anything queued, stops its thread
  EXPECT_EQ(c->calls.load(), 1);
  EXPECT_EQ(must_find(real().conversation_by_id(g)).last_seq, 0);
}

TEST_F(FaultyStoreTest, RefusedAsyncAppendCompletesAtOnceOnTheCallersThread) {
  UserRow a = add_user("ann");
  Id g = add_group(a.id, {});
  faulty_->set_async_failure(FaultyStore::AsyncFailure::refused_at_once);
  faulty_->fail_next(1, {StoreCall::append_message_async});
  auto c = append_async(draft(g, a.id, "refused"));
  EXPECT_EQ(c->calls.load(), 1);  // before append_message_async returned
  EXPECT_EQ(c->thread, std::this_thread::get_id());
  auto r = c->result.get_future().get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::unavailable);
  // The next one goes through to the real store.
  auto ok = append_async(draft(g, a.id, "accepted"));
  auto accepted = ok->result.get_future().get();
  ASSERT_TRUE(accepted.ok()) << accepted.error().message;
  EXPECT_EQ(accepted->message.seq, 1);
}

TEST_F(FaultyStoreTest, ManyFailedAsyncAppendsEachCompleteOnce) {
  UserRow a = add_user("ann");
  Id g = add_group(a.id, {});
  faulty_->fail_always({StoreCall::append_message_async});
  std::vector<std::shared_ptr<Completion>> all;
  for (int i = 0; i < 200; ++i) all.push_back(append_async(draft(g, a.id, "x")));
  faulty_.reset();  // must deliver every queued failure before it returns
  for (auto& c : all) {
    EXPECT_EQ(c->calls.load(), 1);
    auto f = c->result.get_future();
    ASSERT_EQ(f.wait_for(std::chrono::seconds(0)), std::future_status::ready);
    EXPECT_FALSE(f.get().ok());
  }
}

TEST_F(FaultyStoreTest, HeldAppendsCommitInCallOrderAndCompleteWhenTheTestRunsThem) {
  UserRow a = add_user("ann");
  Id g = add_group(a.id, {});
  faulty_->hold_appends(true);
  std::vector<std::shared_ptr<Completion>> all;
  for (int i = 0; i < 3; ++i) all.push_back(append_async(draft(g, a.id, "m" + std::to_string(i))));
  faulty_->fail_next(1, {StoreCall::append_message_async});
  faulty_->set_async_failure(FaultyStore::AsyncFailure::refused_at_once);
  auto refused = append_async(draft(g, a.id, "refused"));
  EXPECT_EQ(refused->calls.load(), 1) << "a failed append is failed, not held";
  EXPECT_EQ(faulty_->held_appends(), 3u);
  for (auto& c : all) EXPECT_EQ(c->calls.load(), 0) << "held: not completed yet";
  EXPECT_EQ(must_find(real().conversation_by_id(g)).last_seq, 3) << "committed at once";

  auto held = faulty_->take_held_appends();
  ASSERT_EQ(held.size(), 3u);
  EXPECT_EQ(faulty_->held_appends(), 0u);
  for (std::size_t i = 0; i < held.size(); ++i) {
    ASSERT_TRUE(held[i].result.ok()) << held[i].result.error().message;
    EXPECT_EQ(held[i].result->message.seq, static_cast<Seq>(i + 1)) << "oldest first, seqs in call order";
  }
  std::thread([&] { held[2].done(std::move(held[2].result)); }).join();  // newest first, on another thread
  EXPECT_EQ(all[2]->calls.load(), 1);
  EXPECT_EQ(all[0]->calls.load(), 0);
  held[0].done(std::move(held[0].result));
  held[1].done(std::move(held[1].result));
  for (std::size_t i = 0; i < all.size(); ++i) {
    auto r = all[i]->result.get_future().get();
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->message.body, "m" + std::to_string(i));
  }

  faulty_->hold_appends(false);
  auto direct = append_async(draft(g, a.id, "direct"));
  auto forwarded = direct->result.get_future().get();  // completed by the backend, nothing held
  ASSERT_TRUE(forwarded.ok()) << forwarded.error().message;
  EXPECT_EQ(forwarded->message.seq, 4);
  EXPECT_EQ(faulty_->held_appends(), 0u);
}

TEST(FaultyStoreOwningTest, DestroysTheBackendItOwnsAfterItsLastCompletion) {
  TempDir dir;
  SqliteOptions options;
  options.path = dir.file("owned.db");
  auto opened = open_sqlite_store(options);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  auto faulty = std::make_unique<FaultyStore>(std::move(opened).value());
  UserRow u{1, "ann", "ann@example.com", "Ann", "h", 1, 0};
  ASSERT_TRUE(faulty->insert_user(u).ok());
  faulty->fail_next(1);
  EXPECT_FALSE(faulty->set_last_seen(u.id, 99).ok());
  faulty.reset();  // closes the SQLite store it owns
  auto again = open_sqlite_store(options);
  ASSERT_TRUE(again.ok()) << again.error().message;
  auto stored = must_find((*again)->user_by_id(u.id));
  EXPECT_EQ(stored.username, "ann");
  EXPECT_EQ(stored.last_seen_at, 0);  // the failed write never happened
}

}  // namespace
}  // namespace parley::store::testing
