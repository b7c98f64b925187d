// WAL checkpoints run on the checkpointer's thread, never inside the writer's
// commits, and the WAL cannot grow without bound: it starts again once copied,
// and a reader that pins it is waited for past the restart threshold.
#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "store/sqlite/connection.hpp"
#include "store/sqlite/function_job.hpp"
#include "store_test_support.hpp"

namespace parley::store::testing {
namespace {

using namespace std::chrono_literals;

class CheckpointTest : public StoreTest {
 protected:
  void SetUp() override {
    spdlog::set_level(spdlog::level::warn);
    SqliteOptions o = options();
    o.checkpoint_pages = 20;
    o.checkpoint_wrap_pages = 300;
    o.checkpoint_restart_pages = 600;
    o.busy_timeout_ms = 800;  // the checkpointer waits at most 200 ms for a reader
    // The search indexer reads parley.db like any reader (a snapshot while it
    // catches a conversation up), so a RESTART may wait for it: these tests
    // count the checkpointer's waits for the readers they open themselves.
    o.search.enabled = false;
    open(o);
    me_ = add_user("me");
    g_ = add_group(me_.id, {});
  }

  // Appends n messages of `size` bytes without waiting for each commit, so
  // they commit in a few batches; returns once all are committed.
  void append_many(int n, std::size_t size = 400) {
    std::vector<std::future<Result<AppendResult>>> results;
    for (int i = 0; i < n; ++i) {
      auto promise = std::make_shared<std::promise<Result<AppendResult>>>();
      results.push_back(promise->get_future());
      store_->append_message_async(draft(g_, me_.id, std::string(size, 'x')),
                                   [promise](Result<AppendResult> r) { promise->set_value(std::move(r)); });
    }
    for (auto& f : results) ASSERT_TRUE(f.get().ok());
  }

  sqlite::CheckpointerStats stats() { return impl().checkpointer_stats(); }

  // Polls `ready` for up to 10 s.
  template <class Ready>
  bool eventually(Ready ready) {
    for (int i = 0; i < 1000; ++i) {
      if (ready()) return true;
      std::this_thread::sleep_for(10ms);
    }
    return ready();
  }

  std::int64_t writer_pragma(const char* sql) {
    std::promise<std::int64_t> value;
    EXPECT_TRUE(impl().submit_for_test(sqlite::make_job<std::int64_t>(
        [sql](sqlite::Connection& db) { return db.query_int(sql); },
        [&](Result<std::int64_t> r) { value.set_value(r.ok() ? *r : -1); })));
    return value.get_future().get();
  }

  UserRow me_;
  Id g_ = 0;
};

TEST_F(CheckpointTest, TheWriterNeverCheckpointsItself) {
  EXPECT_EQ(writer_pragma("PRAGMA wal_autocheckpoint"), 0);
}

TEST_F(CheckpointTest, CheckpointsCopyTheWalAndItStartsAgain) {
  const auto db_size = std::filesystem::file_size(path());
  int sent = 0;
  // The writer copies the rest at a commit past wrap_pages, the next commit
  // starts the WAL again; a commit that meets a background checkpoint holding
  // the lock tries again at the next one, so keep committing until it happened.
  for (int round = 0; round < 200 && (round < 10 || stats().wal_restarts == 0); ++round) {
    append_many(200);
    sent += 200;
  }
  ASSERT_TRUE(eventually([&] { return stats().passive > 0; }));
  auto s = stats();
  EXPECT_GT(s.frames_copied, 0u);
  EXPECT_EQ(s.failed, 0u);
  EXPECT_EQ(s.restart, 0u);  // nothing pinned the WAL: no waiting
  EXPECT_GT(std::filesystem::file_size(path()), db_size);  // the rows reached the database file
  EXPECT_GT(s.wal_restarts, 0u);

  reopen();
  EXPECT_EQ(must_find(store_->conversation_by_id(g_)).last_seq, sent);
  EXPECT_EQ(must(store_->messages(g_, std::nullopt, std::nullopt, 100)).back().seq, sent);
}

TEST_F(CheckpointTest, AReaderPinningTheWalIsWaitedForPastTheRestartThreshold) {
  append_many(50);
  // A read transaction that stays open keeps its snapshot: PASSIVE checkpoints
  // cannot copy past it, and the WAL cannot start again.
  auto reader = sqlite::Connection::open(path(), SQLITE_OPEN_READONLY);
  ASSERT_TRUE(reader.ok());
  ASSERT_EQ((*reader)->exec("BEGIN"), SQLITE_OK);
  ASSERT_TRUE((*reader)->query_int("SELECT count(*) FROM messages").ok());

  for (int i = 0; i < 100 && stats().wal_pages < 700; ++i) append_many(100);
  // It grew past both thresholds: neither the writer's checkpoint nor the
  // background ones could start it again.
  ASSERT_GE(stats().wal_pages, 700);
  ASSERT_TRUE(eventually([&] { return stats().busy > 0; }));  // RESTART waited for the reader, gave up
  EXPECT_EQ(stats().restart, 0u);
  const auto copied_while_pinned = stats().frames_copied;
  // (A reader whose snapshot predates every WAL frame reads the database file
  // only: the writer may start the WAL again once under it, but nothing can be
  // copied while it reads, so the WAL grows all the same.)
  const auto restarts_before = stats().wal_restarts;

  ASSERT_EQ((*reader)->exec("COMMIT"), SQLITE_OK);
  reader->reset();
  // Once the reader is gone the WAL is copied and starts again (a RESTART may
  // still be waiting for the write lock: commits come slowly here so it gets it).
  ASSERT_TRUE(eventually([&] {
    append_many(5);
    return stats().wal_restarts > restarts_before;
  }));
  EXPECT_GT(stats().frames_copied, copied_while_pinned);
  append_many(10);
  EXPECT_LT(stats().wal_pages, 300);
  EXPECT_EQ(stats().failed, 0u);
}

TEST_F(CheckpointTest, ClosingLeavesNoWal) {
  append_many(500);
  store_.reset();
  EXPECT_FALSE(std::filesystem::exists(path() + "-wal"));
  open(options());
  EXPECT_EQ(must_find(store_->conversation_by_id(g_)).last_seq, 500);
}

}  // namespace
}  // namespace parley::store::testing
