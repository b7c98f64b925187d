// The online backup (store/sqlite/online_backup.hpp): one consistent snapshot
// while the store commits, copied in many steps; refusals of what is not a
// Parley database, of a damaged one, of an existing destination; the WAL bound.
#include "store/sqlite/online_backup.hpp"

#include <sqlite3.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "store/sqlite/migrations.hpp"
#include "store_test_support.hpp"

namespace parley::store::testing {
namespace {

using namespace std::chrono_literals;

// SELECT of one integer from `path`, through a connection of its own.
long long query(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* statement = nullptr;
  long long value = -1;
  if (sqlite3_prepare_v2(db, sql, -1, &statement, nullptr) == SQLITE_OK && sqlite3_step(statement) == SQLITE_ROW)
    value = sqlite3_column_int64(statement, 0);
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return value;
}

class OnlineBackupTest : public StoreTest {
 protected:
  void SetUp() override {
    spdlog::set_level(spdlog::level::warn);
    SqliteOptions o = options();
    o.synchronous_full = false;  // no fsync per commit: the history below fills in a moment
    open(o);
    me_ = add_user("me");
    group_ = add_group(me_.id, {});
    for (int i = 0; i < 1500; ++i) send(group_, me_.id, std::string(300, 'a'));
  }
  UserRow me_;
  Id group_ = 0;
};

TEST_F(OnlineBackupTest, CopiesOneSnapshotInStepsWhileTheStoreCommits) {
  std::atomic<bool> writing{true};
  std::atomic<int> committed{0};
  std::thread writer([&] {
    while (writing) {
      send(group_, me_.id, std::string(300, 'b'));
      ++committed;
    }
  });
  while (committed < 20) std::this_thread::sleep_for(1ms);
  const int before = 1500 + committed.load();
  sqlite::OnlineBackupOptions options;
  options.pages_per_step = 4;
  options.pause = 1ms;
  const std::string copy = dir_.file("copy.db");
  auto backup = sqlite::online_backup(path(), copy, options);
  const int after = 1500 + committed.load();
  writing = false;
  writer.join();
  ASSERT_TRUE(backup.ok()) << backup.error().message;
  EXPECT_GT(backup->steps, 10);
  EXPECT_GT(backup->pages, 40);
  EXPECT_EQ(backup->schema_version, sqlite::latest_schema_version());

  // Everything committed before the copy began, nothing after it ended, and no
  // hole: a snapshot is a prefix of the conversation.
  const long long count = query(copy, "SELECT count(*) FROM messages");
  EXPECT_GE(count, before);
  EXPECT_LE(count, after);
  EXPECT_EQ(query(copy, "SELECT max(seq) FROM messages"), count);
  // A self-contained file: rollback journal, no WAL beside it.
  EXPECT_EQ(query(copy, "PRAGMA user_version"), sqlite::latest_schema_version());
  EXPECT_FALSE(std::filesystem::exists(copy + "-wal"));
  auto checked = sqlite::check_database(copy);
  EXPECT_TRUE(checked.ok()) << checked.error().message;
}

TEST_F(OnlineBackupTest, RefusesAnExistingDestinationAndAMissingSource) {
  const std::string copy = dir_.file("copy.db");
  { std::ofstream(copy) << "already here"; }
  auto existing = sqlite::online_backup(path(), copy, {});
  ASSERT_FALSE(existing.ok());
  EXPECT_EQ(existing.error().code, "backup_destination");
  auto missing = sqlite::online_backup(dir_.file("nope.db"), dir_.file("copy2.db"), {});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "backup_source");
  EXPECT_FALSE(std::filesystem::exists(dir_.file("copy2.db")));
}

TEST_F(OnlineBackupTest, StopsRatherThanLetTheWalGrowPastItsBound) {
  std::atomic<bool> writing{true};
  std::thread writer([&] {
    while (writing) send(group_, me_.id, std::string(300, 'c'));
  });
  sqlite::OnlineBackupOptions options;
  options.pages_per_step = 1;
  options.pause = 5ms;
  options.max_wal_bytes = 1;  // any WAL at all is too much
  const std::string copy = dir_.file("copy.db");
  auto backup = sqlite::online_backup(path(), copy, options);
  writing = false;
  writer.join();
  ASSERT_FALSE(backup.ok());
  EXPECT_EQ(backup.error().code, "backup_wal_limit");
  EXPECT_FALSE(std::filesystem::exists(copy));
}

TEST_F(OnlineBackupTest, CheckRefusesForeignDamagedAndNonDatabases) {
  const std::string foreign = dir_.file("foreign.db");
  sqlite3* db = nullptr;
  sqlite3_open(foreign.c_str(), &db);
  sqlite3_exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES (1);", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  auto other = sqlite::check_database(foreign);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, "foreign_database");
  auto copied = sqlite::online_backup(foreign, dir_.file("foreign-copy.db"), {});
  ASSERT_FALSE(copied.ok());
  EXPECT_EQ(copied.error().code, "backup_source");

  const std::string text = dir_.file("text.db");
  { std::ofstream(text) << std::string(8192, 'z'); }
  auto garbage = sqlite::check_database(text);
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.error().code, "not_a_database");

  // A good copy with one b-tree page overwritten.
  const std::string copy = dir_.file("copy.db");
  ASSERT_TRUE(sqlite::online_backup(path(), copy, {}).ok());
  const auto page = query(copy, "PRAGMA page_size");
  {
    std::fstream file(copy, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(page * 3);
    const std::string junk(static_cast<std::size_t>(page), '\x5a');
    file.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  auto damaged = sqlite::check_database(copy);
  ASSERT_FALSE(damaged.ok());
  EXPECT_EQ(damaged.error().code, "corrupt_database");
}

}  // namespace
}  // namespace parley::store::testing
