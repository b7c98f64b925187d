// SQLite under many threads: queued writes share one commit, readers never wait
// for the writer's open transaction, shutdown commits what was queued. Gapless
// seqs, racing retries and consistent pages are in conformance_concurrency_test.cpp.
#include <algorithm>
#include <thread>

#include "store/sqlite/function_job.hpp"
#include "store/sqlite/message_queries.hpp"
#include "store_test_support.hpp"

namespace parley::store::testing {
namespace {

using ConcurrencyTest = StoreTest;

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
