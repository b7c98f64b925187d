// The writer on its own: group commit, savepoint isolation, commit failure,
// bounds and shutdown, over a scratch table.
#include <sqlite3.h>

#include <mutex>
#include <numeric>
#include <set>
#include <thread>

#include "store/sqlite/connection.hpp"
#include "store/sqlite/function_job.hpp"
#include "store/sqlite/writer.hpp"
#include "store_test_support.hpp"

namespace parley::store::testing {
namespace {

using sqlite::Connection;
using sqlite::make_job;
using sqlite::Writer;

class WriterTest : public ::testing::Test {
 protected:
  void SetUp() override { start(512, 1000); }

  void start(int max_batch, int max_queue) {
    writer_.reset();
    auto db = Connection::open(path_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    ASSERT_TRUE(db.ok());
    ASSERT_EQ((*db)->exec("PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON;"
                          "CREATE TABLE IF NOT EXISTS parent (id INTEGER PRIMARY KEY);"
                          "CREATE TABLE IF NOT EXISTS t (x INTEGER PRIMARY KEY,"
                          " p INTEGER REFERENCES parent(id))"),
              SQLITE_OK);
    writer_ = std::make_unique<Writer>(std::move(db).value(), max_batch, max_queue);
  }

  // A job inserting x; its result arrives in the returned future.
  std::future<Result<std::monostate>> insert(std::int64_t x, bool wait = true) {
    auto promise = std::make_shared<std::promise<Result<std::monostate>>>();
    auto future = promise->get_future();
    bool ok = writer_->submit(make_job<std::monostate>(
                                  [x](Connection& db) -> Result<std::monostate> {
                                    sqlite::Stmt st = db.prepare("INSERT INTO t (x) VALUES (?1)");
                                    st.bind(1, x);
                                    if (!st.run()) return st.error("insert");
                                    return std::monostate{};
                                  },
                                  [promise](Result<std::monostate> r) { promise->set_value(std::move(r)); }),
                              wait);
    if (!ok) promise->set_value(Error::unavailable("refused"));
    return future;
  }

  // Holds the writer thread until the returned promise is fulfilled.
  std::promise<void> hold() {
    return hold_writer([&](std::unique_ptr<sqlite::WriteJob> job) { return writer_->submit(std::move(job), true); });
  }

  void wait_queued(std::size_t n) {
    while (writer_->queue_depth() < n) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }

  std::int64_t count() { return count_rows_of_t(path_); }

  TempDir dir_;
  std::string path_ = dir_.file("writer.db");
  std::unique_ptr<Writer> writer_;
};

TEST_F(WriterTest, QueuedJobsCommitTogether) {
  auto gate = hold();
  std::vector<std::future<Result<std::monostate>>> results;
  for (int i = 1; i <= 50; ++i) results.push_back(insert(i));
  wait_queued(50);
  auto before = writer_->stats();
  gate.set_value();
  for (auto& f : results) EXPECT_TRUE(f.get().ok());
  auto after = writer_->stats();
  EXPECT_EQ(after.transactions - before.transactions, 2u);  // the gate's own, then all 50
  EXPECT_EQ(after.largest_batch, 50u);
  EXPECT_EQ(count(), 50);
}

TEST_F(WriterTest, MaxBatchSplitsTransactions) {
  start(8, 1000);
  auto gate = hold();
  std::vector<std::future<Result<std::monostate>>> results;
  for (int i = 1; i <= 20; ++i) results.push_back(insert(i));
  wait_queued(20);
  auto before = writer_->stats();
  gate.set_value();
  for (auto& f : results) EXPECT_TRUE(f.get().ok());
  EXPECT_EQ(writer_->stats().transactions - before.transactions, 4u);  // the gate's, then 8 + 8 + 4
  EXPECT_EQ(writer_->stats().largest_batch, 8u);
}

TEST_F(WriterTest, AFailingJobRollsBackOnlyItself) {
  auto gate = hold();
  auto a = insert(1);
  auto dup = insert(1);  // primary key violation
  auto c = insert(3);
  auto throws = std::make_shared<std::promise<Result<std::monostate>>>();
  writer_->submit(make_job<std::monostate>(
                      [](Connection& db) -> Result<std::monostate> {
                        db.exec("INSERT INTO t (x) VALUES (100)");
                        throw std::runtime_error("boom");
                      },
                      [throws](Result<std::monostate> r) { throws->set_value(std::move(r)); }),
                  true);
  auto d = insert(4);
  wait_queued(5);
  gate.set_value();
  EXPECT_TRUE(a.get().ok());
  auto failed = dup.get();
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().kind, ErrorKind::conflict);
  EXPECT_TRUE(c.get().ok());
  auto thrown = throws->get_future().get();
  ASSERT_FALSE(thrown.ok());
  EXPECT_EQ(thrown.error().kind, ErrorKind::internal);
  EXPECT_TRUE(d.get().ok());
  EXPECT_EQ(count(), 3);  // 1, 3, 4; not 100
}

TEST_F(WriterTest, AFailedCommitFailsTheWholeBatch) {
  auto gate = hold();
  auto a = insert(1);
  // Valid on its own, but a deferred foreign key makes COMMIT fail.
  auto bad = std::make_shared<std::promise<Result<std::monostate>>>();
  writer_->submit(make_job<std::monostate>(
                      [](Connection& db) -> Result<std::monostate> {
                        if (db.exec("PRAGMA defer_foreign_keys = ON; INSERT INTO t (x, p) VALUES (2, 999)") !=
                            SQLITE_OK) {
                          return Error::internal("setup");
                        }
                        return std::monostate{};
                      },
                      [bad](Result<std::monostate> r) { bad->set_value(std::move(r)); }),
                  true);
  auto c = insert(3);
  wait_queued(3);
  gate.set_value();
  for (Result<std::monostate> r : {a.get(), bad->get_future().get(), c.get()}) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::unavailable);
  }
  EXPECT_EQ(count(), 0);
  EXPECT_EQ(writer_->stats().failed_transactions, 1u);
  // The writer carries on.
  EXPECT_TRUE(insert(5).get().ok());
  EXPECT_EQ(count(), 1);
}

TEST_F(WriterTest, TheQueueIsBounded) {
  start(512, 3);
  auto gate = hold();
  auto a = insert(1, false);
  auto b = insert(2, false);
  auto c = insert(3, false);
  auto refused = insert(4, false);
  auto r = refused.get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::unavailable);
  gate.set_value();
  EXPECT_TRUE(a.get().ok());
  EXPECT_TRUE(b.get().ok());
  EXPECT_TRUE(c.get().ok());
}

TEST_F(WriterTest, StopFinishesQueuedJobsThenRefuses) {
  auto gate = hold();
  std::vector<std::future<Result<std::monostate>>> results;
  for (int i = 1; i <= 100; ++i) results.push_back(insert(i));
  wait_queued(100);
  std::thread stopper([&] { writer_->stop(); });
  while (writer_->submit(make_job<std::monostate>([](Connection&) { return Result<std::monostate>(std::monostate{}); },
                                                  [](Result<std::monostate>) {}),
                         false)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));  // until stop() has begun
  }
  gate.set_value();
  stopper.join();
  for (auto& f : results) EXPECT_TRUE(f.get().ok());
  EXPECT_EQ(count(), 100);
  auto late = insert(1000);
  EXPECT_FALSE(late.get().ok());
  EXPECT_NE(writer_->connection_after_stop(), nullptr);
}


// Records the order jobs run in; `group` is what commute_group() says.
class OrderedJob final : public sqlite::WriteJob {
 public:
  OrderedJob(std::int64_t group, int tag, std::vector<int>& ran, std::promise<void>& last, bool is_last)
      : group_(group), tag_(tag), ran_(ran), last_(last), is_last_(is_last) {}
  bool run(Connection&) override {
    ran_.push_back(tag_);  // only the writer thread touches ran_ until last_ is set
    return true;
  }
  void complete(const Error*) override {
    if (is_last_) last_.set_value();
  }
  bool atomic() const override { return true; }
  std::int64_t commute_group() const override { return group_; }

 private:
  std::int64_t group_;
  int tag_;
  std::vector<int>& ran_;
  std::promise<void>& last_;
  bool is_last_;
};

TEST_F(WriterTest, CommutingJobsRunGroupedWithoutCrossingOthers) {
  // (group, tag): runs of nonzero groups are sorted by group, stably; a
  // group-0 job stays where it is and nothing moves across it.
  const std::vector<std::pair<std::int64_t, int>> submitted = {
      {5, 1}, {3, 2}, {5, 3}, {3, 4}, {0, 5}, {7, 6}, {5, 7}, {7, 8}, {0, 9}, {0, 10}, {2, 11}};
  std::vector<int> ran;
  std::promise<void> done;
  auto gate = hold();
  for (std::size_t i = 0; i < submitted.size(); ++i) {
    auto [group, tag] = submitted[i];
    ASSERT_TRUE(writer_->submit(std::make_unique<OrderedJob>(group, tag, ran, done, i + 1 == submitted.size()), true));
  }
  wait_queued(submitted.size());
  gate.set_value();
  done.get_future().get();
  EXPECT_EQ(ran, (std::vector<int>{2, 4, 1, 3, 5, 7, 6, 8, 9, 10, 11}));
}

// Records where and in which order jobs run and complete.
class TracedJob final : public sqlite::WriteJob {
 public:
  struct Trace {
    std::mutex mu;
    std::vector<int> completed;
    std::set<std::thread::id> run_threads, complete_threads;
  };
  TracedJob(int tag, Trace& trace) : tag_(tag), trace_(trace) {}
  bool run(Connection&) override {
    std::lock_guard lock(trace_.mu);
    trace_.run_threads.insert(std::this_thread::get_id());
    return true;
  }
  void complete(const Error*) override {
    std::lock_guard lock(trace_.mu);
    trace_.complete_threads.insert(std::this_thread::get_id());
    trace_.completed.push_back(tag_);
  }
  bool atomic() const override { return true; }

 private:
  int tag_;
  Trace& trace_;
};

TEST_F(WriterTest, CompletionsRunInCommitOrderOnTheirOwnThread) {
  start(3, 1000);  // several transactions
  TracedJob::Trace trace;
  auto gate = hold();
  for (int tag = 1; tag <= 20; ++tag) ASSERT_TRUE(writer_->submit(std::make_unique<TracedJob>(tag, trace), true));
  wait_queued(20);
  gate.set_value();
  writer_->stop();  // returns once every completion has run
  std::lock_guard lock(trace.mu);
  std::vector<int> expected(20);
  std::iota(expected.begin(), expected.end(), 1);
  EXPECT_EQ(trace.completed, expected);
  ASSERT_EQ(trace.run_threads.size(), 1u);
  ASSERT_EQ(trace.complete_threads.size(), 1u);
  EXPECT_NE(*trace.run_threads.begin(), *trace.complete_threads.begin());
  EXPECT_EQ(writer_->stats().jobs, 21u);  // with the gate's job
}

}  // namespace
}  // namespace parley::store::testing
