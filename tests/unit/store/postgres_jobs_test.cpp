// Jobs shared by several nodes: two PostgresStores on one database (two nodes,
// each with its own connection pool) claim from the same queue at once, and no
// job is ever held by both; a claim never waits for another's lock
// (FOR UPDATE SKIP LOCKED), so a claimer holding a job's row lock open does not
// stop the other from taking the next job.

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "postgres_backend.hpp"
#include "postgres_fixture.hpp"
#include "store/postgres/pg_connection.hpp"

namespace parley::store::testing {
namespace {

using PostgresJobs = PostgresStoreTest;

constexpr TimeMs t0 = 1767225600000;
constexpr TimeMs minute = 60000;

JobRow preview_job(Id id, Id subject) {
  JobRow j;
  j.id = id;
  j.kind = "preview";
  j.subject_id = subject;
  j.run_after = t0;
  j.created_at = t0;
  return j;
}

TEST_F(PostgresJobs, TwoNodesClaimingAtOnceNeverShareAJob) {
  auto other = db_->open();
  ASSERT_TRUE(other.ok()) << other.error().message;
  std::unique_ptr<Store> second = std::move(*other);
  constexpr int jobs = 200;
  for (int i = 0; i < jobs; ++i) ASSERT_TRUE(store_->enqueue_job(preview_job(next_id(), 5000 + i)).ok());

  std::mutex mu;
  std::map<Id, int> holder;
  std::atomic<int> duplicates{0}, failures{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> pool;
  for (int t = 0; t < 8; ++t) {
    Store* node = t % 2 == 0 ? store_.get() : second.get();
    pool.emplace_back([&, node, t] {
      while (!go.load()) std::this_thread::yield();
      for (;;) {
        auto r = node->claim_job({"preview"}, t0 + 1, t0 + 1000 * minute);
        if (!r.ok()) {
          if (++failures > 50) return;
          continue;
        }
        if (!*r) return;
        std::lock_guard lock(mu);
        if (!holder.emplace((*r)->id, t).second) ++duplicates;
      }
    });
  }
  go = true;
  for (auto& th : pool) th.join();
  EXPECT_EQ(duplicates.load(), 0);
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(holder.size(), static_cast<std::size_t>(jobs));
  std::map<int, int> per_node;
  for (const auto& [id, t] : holder) per_node[t % 2]++;
  EXPECT_EQ(per_node.size(), 2u) << "both nodes should have claimed some jobs";
}

TEST_F(PostgresJobs, AClaimSkipsARowAnotherSessionHasLocked) {
  const Id first = next_id();
  const Id second_job = next_id();
  ASSERT_TRUE(store_->enqueue_job(preview_job(first, 1)).ok());
  ASSERT_TRUE(store_->enqueue_job(preview_job(second_job, 2)).ok());
  // Another node mid-claim: a transaction that has locked the first job's row.
  auto conn = postgres::Connection::connect(db_->url(), 3);
  ASSERT_TRUE(conn.ok()) << conn.error().message;
  postgres::Connection& other = **conn;
  ASSERT_TRUE(other.exec("BEGIN").ok());
  const std::string lock = "SELECT id FROM jobs WHERE id = " + std::to_string(first) + " FOR UPDATE";
  ASSERT_TRUE(other.exec(lock.c_str()).ok());

  // No waiting for that lock: the next job is taken at once.
  auto got = store_->claim_job({"preview"}, t0 + 1, t0 + minute);
  ASSERT_TRUE(got.ok()) << got.error().message;
  ASSERT_TRUE(*got);
  EXPECT_EQ((*got)->id, second_job);
  auto none = store_->claim_job({"preview"}, t0 + 1, t0 + minute);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(*none);

  ASSERT_TRUE(other.exec("ROLLBACK").ok());
  auto freed = store_->claim_job({"preview"}, t0 + 1, t0 + minute);
  ASSERT_TRUE(freed.ok());
  ASSERT_TRUE(*freed);
  EXPECT_EQ((*freed)->id, first);
}

}  // namespace
}  // namespace parley::store::testing
