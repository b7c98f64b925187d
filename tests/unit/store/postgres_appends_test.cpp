// Appending to the PostgreSQL store: gapless seq with commit order equal to seq
// order under concurrent appends, idempotent retries (also within one batch),
// and batches in which one append fails while the others succeed.

#include <gtest/gtest.h>

#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "postgres_fixture.hpp"

namespace parley::store::testing {
namespace {

// Waits for a number of async completions.
class Completions {
 public:
  void add(Result<AppendResult> r) {
    std::lock_guard lock(mu_);
    results_.push_back(std::move(r));
    done_.notify_all();
  }
  std::vector<Result<AppendResult>> wait(std::size_t n) {
    std::unique_lock lock(mu_);
    bool all = done_.wait_for(lock, std::chrono::seconds(60), [&] { return results_.size() >= n; });
    EXPECT_TRUE(all) << "only " << results_.size() << " of " << n << " completions";
    return results_;
  }
  // A `done` for append_message_async that adds its result here.
  std::function<void(Result<AppendResult>)> sink() {
    return [this](Result<AppendResult> r) { add(std::move(r)); };
  }

 private:
  std::mutex mu_;
  std::condition_variable done_;
  std::vector<Result<AppendResult>> results_;
};

// Sends every draft with append_message_async, one right after another (so
// they queue up and share batches), and waits for all their completions.
std::vector<Result<AppendResult>> append_all_async(Store& store, std::vector<MessageRow> drafts) {
  Completions completions;
  const std::size_t sent = drafts.size();
  for (MessageRow& m : drafts) store.append_message_async(std::move(m), completions.sink());
  return completions.wait(sent);
}

using PostgresAppends = PostgresStoreTest;

TEST_F(PostgresAppends, SeqIsGaplessAndCommitsInSeqOrderUnderConcurrency) {
  std::vector<Id> users;
  for (int i = 0; i < 4; ++i) users.push_back(add_user("user" + std::to_string(i)));
  std::vector<Id> conversations = {add_group(users), add_group(users), add_group(users)};

  constexpr int threads = 8;
  constexpr int per_thread = 300;
  std::atomic<bool> writing{true};
  std::atomic<int> torn_snapshots{0};
  // A reader watching one conversation: if commits ever landed out of seq
  // order, some snapshot would show a gap (seq k+1 visible, k not yet).
  std::thread reader([&] {
    while (writing.load()) {
      auto page = store_->messages(conversations[0], std::nullopt, Seq{0}, 100000);
      if (!page.ok()) continue;
      for (std::size_t i = 0; i < page->size(); ++i) {
        if ((*page)[i].seq != static_cast<Seq>(i + 1)) {
          ++torn_snapshots;
          break;
        }
      }
    }
  });
  Completions completions;
  std::vector<std::thread> writers;
  for (int t = 0; t < threads; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        Id conversation = conversations[static_cast<std::size_t>((t + i) % conversations.size())];
        Id sender = users[static_cast<std::size_t>(i % users.size())];
        store_->append_message_async(draft(conversation, sender, "t" + std::to_string(t) + "-" + std::to_string(i)),
                                     completions.sink());
      }
    });
  }
  for (auto& w : writers) w.join();
  auto results = completions.wait(threads * per_thread);
  writing = false;
  reader.join();

  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_TRUE(r->created);
  }
  EXPECT_EQ(torn_snapshots.load(), 0);
  std::size_t total = 0;
  for (Id conversation : conversations) {
    auto page = store_->messages(conversation, std::nullopt, Seq{0}, 100000);
    ASSERT_TRUE(page.ok());
    std::set<std::string> client_ids;
    for (std::size_t i = 0; i < page->size(); ++i) {
      EXPECT_EQ((*page)[i].seq, static_cast<Seq>(i + 1));
      EXPECT_TRUE(client_ids.insert((*page)[i].client_msg_id).second) << (*page)[i].client_msg_id;
    }
    auto row = store_->conversation_by_id(conversation);
    ASSERT_TRUE(row.ok() && row->has_value());
    EXPECT_EQ((*row)->last_seq, static_cast<Seq>(page->size()));
    total += page->size();
  }
  EXPECT_EQ(total, static_cast<std::size_t>(threads * per_thread));
  StoreStats stats = store_->stats();
  EXPECT_GE(stats.write_jobs, static_cast<std::uint64_t>(threads * per_thread));
  EXPECT_GT(stats.largest_write_batch, 1u) << "concurrent appends should share transactions";
  EXPECT_EQ(stats.queued_writes, 0u);
}

TEST_F(PostgresAppends, RetryReturnsTheStoredMessage) {
  Id a = add_user("alice");
  Id b = add_user("bob");
  Id c = add_group({a, b});
  auto first = store_->append_message(draft(c, a, "same"));
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_TRUE(first->created);
  MessageRow again = draft(c, a, "same");
  again.body = "a different body";
  auto second = store_->append_message(again);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_FALSE(second->created);
  EXPECT_EQ(second->message.id, first->message.id);
  EXPECT_EQ(second->message.seq, first->message.seq);
  EXPECT_EQ(second->message.body, first->message.body);
  // Another sender may use the same clientMsgId.
  auto other = store_->append_message(draft(c, b, "same"));
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(other->created);
  EXPECT_EQ(other->message.seq, 2);
  // A retry from someone no longer a member is not_found, as in SQLite.
  ASSERT_TRUE(store_->update_conversation(c, ConversationChange{std::nullopt, {}, {a}}).ok());
  auto gone = store_->append_message(draft(c, a, "same"));
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().kind, ErrorKind::not_found);
}

TEST_F(PostgresAppends, RepeatsWithinOneBatchStoreOnce) {
  Id a = add_user("alice");
  Id c = add_group({a});
  constexpr int copies = 50;
  std::vector<MessageRow> drafts;
  for (int i = 0; i < copies; ++i) drafts.push_back(draft(c, a, "dup-" + std::to_string(i % 5)));
  auto results = append_all_async(*store_, std::move(drafts));
  std::map<std::string, std::set<Id>> ids;
  int created = 0;
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.error().message;
    ids[r->message.client_msg_id].insert(r->message.id);
    created += r->created ? 1 : 0;
  }
  EXPECT_EQ(created, 5);
  for (const auto& [key, set] : ids) EXPECT_EQ(set.size(), 1u) << key;
  auto page = store_->messages(c, std::nullopt, std::nullopt, 100);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->size(), 5u);
}

TEST_F(PostgresAppends, OneBadAppendDoesNotFailItsBatch) {
  Id a = add_user("alice");
  Id stranger = add_user("stranger");
  Id c = add_group({a});
  // Sent at once, so they queue up and share transactions: many good appends,
  // some from a non-member, some to a missing conversation (answered without
  // failing the transaction), and one whose message id is already taken (its
  // INSERT fails, so its batch is rolled back and split).
  auto taken = store_->append_message(draft(c, a, "first"));
  ASSERT_TRUE(taken.ok());
  std::map<std::string, ErrorKind> expected_errors;
  std::vector<MessageRow> drafts;
  for (int i = 0; i < 400; ++i) {
    std::string key = "m" + std::to_string(i);
    MessageRow m = draft(c, a, key);
    if (i % 50 == 7) {
      m.sender_id = stranger;
      expected_errors[key] = ErrorKind::not_found;
    } else if (i % 50 == 19) {
      m.conversation_id = 999999;
      expected_errors[key] = ErrorKind::not_found;
    } else if (i == 200) {
      m.id = taken->message.id;  // violates messages_by_id: fails the whole statement
      expected_errors[key] = ErrorKind::conflict;
    }
    drafts.push_back(std::move(m));
  }
  const int sent = static_cast<int>(drafts.size());
  auto results = append_all_async(*store_, std::move(drafts));
  int ok = 0;
  int failed = 0;
  for (const auto& r : results) {
    if (r.ok()) {
      ++ok;
      EXPECT_EQ(expected_errors.count(r->message.client_msg_id), 0u) << r->message.client_msg_id;
    } else {
      ++failed;
    }
  }
  EXPECT_EQ(failed, static_cast<int>(expected_errors.size()));
  EXPECT_EQ(ok, sent - static_cast<int>(expected_errors.size()));
  auto page = store_->messages(c, std::nullopt, Seq{0}, 1000);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), static_cast<std::size_t>(ok + 1));
  for (std::size_t i = 0; i < page->size(); ++i) EXPECT_EQ((*page)[i].seq, static_cast<Seq>(i + 1));
  StoreStats stats = store_->stats();
  EXPECT_GE(stats.failed_write_transactions, 1u) << "the clashing id failed a transaction";
  EXPECT_GT(stats.largest_write_batch, 1u);
}

TEST_F(PostgresAppends, ConflictingIdIsReportedAsIdTaken) {
  Id a = add_user("alice");
  Id c = add_group({a});
  auto first = store_->append_message(draft(c, a, "one"));
  ASSERT_TRUE(first.ok());
  MessageRow clash = draft(c, a, "two");
  clash.id = first->message.id;
  auto second = store_->append_message(clash);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().kind, ErrorKind::conflict);
  EXPECT_EQ(second.error().code, "id_taken");
  // The failed append consumed no seq.
  auto third = store_->append_message(draft(c, a, "three"));
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->message.seq, 2);
}

TEST_F(PostgresAppends, TextPostgresCannotHoldFailsOnlyItsOwnAppend) {
  Id a = add_user("alice");
  Id c = add_group({a});
  constexpr int sent = 40;
  std::vector<MessageRow> drafts;
  for (int i = 0; i < sent; ++i) drafts.push_back(draft(c, a, "k" + std::to_string(i)));
  drafts[10].body = std::string("nul \0 inside", 13);
  drafts[30].body = "not utf-8 \xff\xfe";
  auto results = append_all_async(*store_, std::move(drafts));
  int bad = 0;
  for (const auto& r : results) {
    if (r.ok()) continue;
    ++bad;
    EXPECT_EQ(r.error().kind, ErrorKind::bad_request) << r.error().message;
    EXPECT_EQ(r.error().code, "invalid_text");
  }
  EXPECT_EQ(bad, 2);
  auto page = store_->messages(c, std::nullopt, Seq{0}, 100);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->size(), static_cast<std::size_t>(sent - 2));
}

}  // namespace
}  // namespace parley::store::testing
