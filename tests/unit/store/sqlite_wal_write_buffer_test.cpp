// The WAL write buffer VFS: what a connection commits through it is in the
// files when COMMIT returns (other connections and a copy of the files see
// it), a transaction's own spilled frames read back, large writes and
// rollbacks, and the database stays intact.
#include <sqlite3.h>

#include <filesystem>
#include <string>

#include "store/sqlite/connection.hpp"
#include "store/sqlite/wal_write_buffer.hpp"
#include "store_test_support.hpp"

namespace parley::store::testing {
namespace {

namespace fs = std::filesystem;
using sqlite::Connection;
using sqlite::wal_write_buffer_vfs;

class WalWriteBufferTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(wal_write_buffer_vfs(), nullptr);
    auto db = Connection::open(path_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, {}, wal_write_buffer_vfs());
    ASSERT_TRUE(db.ok()) << db.error().message;
    writer_ = std::move(db).value();
    ASSERT_EQ(writer_->exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA wal_autocheckpoint = 0;"
                            "CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB NOT NULL)"),
              SQLITE_OK);
  }

  // Inserts rows [from, to) with `bytes`-byte values in one transaction.
  void insert(int from, int to, int bytes, bool commit = true) {
    ASSERT_EQ(writer_->exec("BEGIN IMMEDIATE"), SQLITE_OK);
    for (int k = from; k < to; ++k) {
      sqlite::Stmt st = writer_->prepare("INSERT INTO t (k, v) VALUES (?1, randomblob(?2))");
      st.bind(1, k).bind(2, bytes);
      ASSERT_TRUE(st.run());
    }
    ASSERT_EQ(writer_->exec(commit ? "COMMIT" : "ROLLBACK"), SQLITE_OK);
  }

  static std::int64_t count(const std::string& path) { return count_rows_of_t(path); }

  TempDir dir_;
  std::string path_ = dir_.file("buffered.db");
  std::unique_ptr<Connection> writer_;
};

TEST_F(WalWriteBufferTest, RegistersOnceUnderOneName) {
  EXPECT_EQ(wal_write_buffer_vfs(), wal_write_buffer_vfs());
  EXPECT_NE(sqlite3_vfs_find(wal_write_buffer_vfs()), nullptr);
  EXPECT_NE(sqlite3_vfs_find(nullptr), sqlite3_vfs_find(wal_write_buffer_vfs()));  // not made the default
}

TEST_F(WalWriteBufferTest, EveryCommitIsVisibleToAnotherConnectionAtOnce) {
  for (int round = 0; round < 20; ++round) {
    insert(round * 100, round * 100 + 100, 200);
    ASSERT_EQ(count(path_), (round + 1) * 100) << "after commit " << round;
  }
}

TEST_F(WalWriteBufferTest, ACopyOfTheFilesTakenAfterCommitHoldsIt) {
  // What a crash right after COMMIT would leave: the files as they are, the
  // connection never closed. Nothing committed may still sit in the buffer.
  insert(0, 500, 300);
  insert(500, 600, 300, /*commit=*/false);  // rolled back: must not appear
  insert(600, 700, 300);
  const std::string copy = dir_.file("copy.db");
  fs::copy_file(path_, copy);
  fs::copy_file(path_ + "-wal", copy + "-wal");
  EXPECT_EQ(count(copy), 600);
  auto db = Connection::open(copy, SQLITE_OPEN_READWRITE);
  ASSERT_TRUE(db.ok());
  auto check = (*db)->prepare("PRAGMA integrity_check");
  ASSERT_EQ(check.step(), SQLITE_ROW);
  EXPECT_EQ(check.text(0), "ok");
}

TEST_F(WalWriteBufferTest, ATransactionReadsBackItsSpilledPages) {
  // A tiny page cache makes SQLite spill dirty pages into the WAL before
  // COMMIT and read them back through the same file (from the buffer's range).
  ASSERT_EQ(writer_->exec("PRAGMA cache_size = 10"), SQLITE_OK);
  ASSERT_EQ(writer_->exec("BEGIN IMMEDIATE"), SQLITE_OK);
  for (int k = 0; k < 3000; ++k) {
    sqlite::Stmt st = writer_->prepare("INSERT INTO t (k, v) VALUES (?1, zeroblob(500))");
    st.bind(1, k);
    ASSERT_TRUE(st.run());
  }
  EXPECT_EQ(writer_->query_int("SELECT count(*) FROM t").value(), 3000);
  EXPECT_EQ(writer_->query_int("SELECT sum(length(v)) FROM t").value(), 3000 * 500);
  ASSERT_EQ(writer_->exec("COMMIT"), SQLITE_OK);
  EXPECT_EQ(count(path_), 3000);
}

TEST_F(WalWriteBufferTest, WritesLargerThanTheBufferAndCheckpointsKeepTheData) {
  ASSERT_EQ(writer_->exec("PRAGMA page_size = 65536"), SQLITE_OK);  // no effect in WAL mode: 4 KiB pages stay
  insert(0, 50, 3 * sqlite::wal_write_buffer_bytes);                // overflow chains far beyond one buffer
  EXPECT_EQ(writer_->exec("PRAGMA wal_checkpoint(TRUNCATE)"), SQLITE_OK);
  insert(50, 60, 1000);
  writer_.reset();  // the last connection: checkpoints and removes the WAL
  EXPECT_FALSE(fs::exists(path_ + "-wal"));
  EXPECT_EQ(count(path_), 60);
  auto db = Connection::open(path_, SQLITE_OPEN_READONLY);
  ASSERT_TRUE(db.ok());
  EXPECT_EQ((*db)->query_int("SELECT sum(length(v)) FROM t").value(),
            50LL * 3 * sqlite::wal_write_buffer_bytes + 10 * 1000);
}

}  // namespace
}  // namespace parley::store::testing
