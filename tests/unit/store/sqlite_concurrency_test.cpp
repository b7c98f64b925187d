// Many threads at once: group commit through the store, seq without gaps,
// idempotency under races, readers that never wait for the writer, shutdown.
#include <algorithm>
#include <set>
#include <thread>

#include "store/sqlite/function_job.hpp"
#include "store/sqlite/message_queries.hpp"
#include "store_test_support.hpp"

namespace parley::store::testing {
namespace {

using ConcurrencyTest = StoreTest;

TEST_F(ConcurrencyTest, ConcurrentSendersGetGaplessSeqs) {
  constexpr int threads = 8;
  constexpr int per_thread = 100;
  std::vector<UserRow> users;
  for (int i = 0; i < threads; ++i) users.push_back(add_user("user" + std::to_string(i)));
  std::vector<Id> others;
  for (int i = 1; i < threads; ++i) others.push_back(users[i].id);
  Id g = add_group(users[0].id, others);
  auto before = impl().writer_stats();

  std::vector<std::vector<Seq>> got(threads);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        auto r = store_->append_message(draft(g, users[t].id, "m", "t" + std::to_string(t) + "-" + std::to_string(i)));
        if (r.ok()) got[t].push_back(r->message.seq);
      }
    });
  }
  for (auto& th : pool) th.join();

  std::vector<Seq> all;
  for (auto& v : got) {
    EXPECT_EQ(v.size(), static_cast<std::size_t>(per_thread));
    EXPECT_TRUE(std::is_sorted(v.begin(), v.end()));  // one sender's messages keep their order
    all.insert(all.end(), v.begin(), v.end());
  }
  std::sort(all.begin(), all.end());
  ASSERT_EQ(all.size(), static_cast<std::size_t>(threads * per_thread));
  for (std::size_t i = 0; i < all.size(); ++i) ASSERT_EQ(all[i], static_cast<Seq>(i + 1));
  EXPECT_EQ(must_find(store_->conversation_by_id(g)).last_seq, threads * per_thread);
  auto page = must(store_->messages(g, std::nullopt, std::nullopt, 1000));
  ASSERT_EQ(page.size(), all.size());
  for (std::size_t i = 0; i < page.size(); ++i) ASSERT_EQ(page[i].seq, static_cast<Seq>(i + 1));

  auto after = impl().writer_stats();
  std::cout << "[ info ] " << after.jobs - before.jobs << " writes in " << after.transactions - before.transactions
            << " transactions (largest batch " << after.largest_batch << ")\n";
}

TEST_F(ConcurrencyTest, QueuedAppendsShareOneCommit) {
  UserRow a = add_user("ann");
  Id g = add_group(a.id, {});
  std::promise<void> gate =
      hold_writer([&](std::unique_ptr<sqlite::WriteJob> job) { return impl().submit_for_test(std::move(job)); });

  constexpr int n = 40;
  std::vector<std::thread> senders;
  std::vector<int> ok(n, 0);
  for (int i = 0; i < n; ++i) {
    senders.emplace_back([&, i] { ok[i] = store_->append_message(draft(g, a.id, "x")).ok(); });
  }
  while (impl().write_queue_depth() < n) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  auto before = impl().writer_stats();
  gate.set_value();
  for (auto& t : senders) t.join();
  EXPECT_EQ(std::count(ok.begin(), ok.end(), 1), n);
  EXPECT_EQ(impl().writer_stats().transactions - before.transactions, 2u);  // the gate's, then all n
  EXPECT_GE(impl().writer_stats().largest_batch, static_cast<std::uint64_t>(n));
}

TEST_F(ConcurrencyTest, RacingRetriesStoreOneMessage) {
  UserRow a = add_user("ann");
  Id g = add_group(a.id, {});
  constexpr int n = 16;
  std::vector<Result<AppendResult>> results;
  std::mutex mu;
  std::vector<std::thread> pool;
  for (int i = 0; i < n; ++i) {
    pool.emplace_back([&] {
      auto r = store_->append_message(draft(g, a.id, "same", "dup-1"));
      std::lock_guard lock(mu);
      results.push_back(std::move(r));
    });
  }
  for (auto& t : pool) t.join();
  int created = 0;
  std::set<Id> ids;
  for (auto& r : results) {
    ASSERT_TRUE(r.ok());
    created += r->created;
    ids.insert(r->message.id);
    EXPECT_EQ(r->message.seq, 1);
  }
  EXPECT_EQ(created, 1);
  EXPECT_EQ(ids.size(), 1u);
  EXPECT_EQ(must_find(store_->conversation_by_id(g)).last_seq, 1);
}

TEST_F(ConcurrencyTest, ReadersSeeConsistentPagesDuringWrites) {
  UserRow a = add_user("ann");
  Id g = add_group(a.id, {});
  std::atomic<bool> writing{true};
  std::atomic<int> bad{0};
  std::atomic<int> reads{0};
  std::thread writer([&] {
    for (int i = 0; i < 400; ++i) (void)store_->append_message(draft(g, a.id, "w" + std::to_string(i)));
    writing = false;
  });
  std::vector<std::thread> readers;
  for (int r = 0; r < 4; ++r) {
    readers.emplace_back([&] {
      Seq last_seen = 0;
      while (writing) {
        // Not must(): a throw on this thread would end the process, not the test.
        auto read = store_->messages(g, std::nullopt, std::nullopt, 50);
        if (!read) {
          bad++;
          continue;
        }
        const auto& page = *read;
        for (std::size_t i = 1; i < page.size(); ++i) {
          if (page[i].seq != page[i - 1].seq + 1) bad++;
        }
        Seq newest = page.empty() ? 0 : page.back().seq;
        if (newest < last_seen) bad++;  // never goes back in time
        last_seen = newest;
        auto c = store_->conversation_by_id(g);
        if (!c || !*c || (*c)->last_seq < newest) bad++;
        reads++;
      }
    });
  }
  writer.join();
  for (auto& t : readers) t.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_GT(reads.load(), 0);
}

TEST_F(ConcurrencyTest, ReadsDoNotWaitForAnOpenWriteTransaction) {
  UserRow a = add_user("ann");
  Id g = add_group(a.id, {});
  send(g, a.id, "committed");
  // The writer sits inside BEGIN IMMEDIATE with an uncommitted message.
  std::promise<void> gate;
  std::promise<void> started;
  std::promise<void> finished;
  auto shared_gate = gate.get_future().share();
  ASSERT_TRUE(impl().submit_for_test(sqlite::make_job<std::monostate>(
      [&](sqlite::Connection& db) -> Result<std::monostate> {
        auto r = sqlite::append_message(db, impl().seqs_for_test(), draft(g, a.id, "uncommitted"));
        started.set_value();
        shared_gate.wait();
        if (!r) return r.error();
        return std::monostate{};
      },
      [&](Result<std::monostate>) { finished.set_value(); })));
  started.get_future().wait();

  auto reads = std::async(std::launch::async, [&] {
    return std::make_pair(must(store_->messages(g, std::nullopt, std::nullopt, 10)).size(),
                          must_find(store_->conversation_by_id(g)).last_seq);
  });
  ASSERT_EQ(reads.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  auto [count, last_seq] = reads.get();
  EXPECT_EQ(count, 1u);  // the uncommitted one is invisible
  EXPECT_EQ(last_seq, 1);
  gate.set_value();
  finished.get_future().wait();  // the job uses this frame's locals
  EXPECT_EQ(must_find(store_->conversation_by_id(g)).last_seq, 2);
}

TEST_F(ConcurrencyTest, ShutdownCommitsEveryQueuedAsyncAppend) {
  UserRow a = add_user("ann");
  Id g = add_group(a.id, {});
  constexpr int n = 300;
  std::atomic<int> succeeded{0};
  std::atomic<int> completed{0};
  for (int i = 0; i < n; ++i) {
    store_->append_message_async(draft(g, a.id, "a" + std::to_string(i)), [&](Result<AppendResult> r) {
      succeeded += r.ok();
      completed++;
    });
  }
  store_.reset();  // must not lose any of them
  EXPECT_EQ(completed.load(), n);
  EXPECT_EQ(succeeded.load(), n);
  open();
  EXPECT_EQ(must_find(store_->conversation_by_id(g)).last_seq, n);
  EXPECT_EQ(must(store_->messages(g, std::nullopt, std::nullopt, 1000)).size(), static_cast<std::size_t>(n));
}

}  // namespace
}  // namespace parley::store::testing
