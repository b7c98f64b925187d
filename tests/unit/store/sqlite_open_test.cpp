#include <sqlite3.h>

#include <algorithm>

#include "store/sqlite/migrations.hpp"
#include "store_test_support.hpp"

namespace parley::store::testing {
namespace {

// Runs SQL on a file with a plain connection (outside the store).
void raw_exec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  std::string message = err != nullptr ? err : "";
  sqlite3_free(err);
  ASSERT_EQ(sqlite3_close(db), SQLITE_OK);
  ASSERT_EQ(rc, SQLITE_OK) << message;
}

std::int64_t raw_int(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &st, nullptr), SQLITE_OK);
  std::int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

class OpenTest : public StoreTest {
 protected:
  // Expects open_sqlite_store to refuse the file with `code`, naming it, without changing a byte.
  std::vector<std::string> files() const {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(std::filesystem::path(path()).parent_path())) {
      out.push_back(e.path().filename().string());
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  void expect_refused(const std::string& code) {
    std::string before = read_bytes(path());
    std::vector<std::string> files_before = files();
    auto opened = open_sqlite_store(options());
    ASSERT_FALSE(opened.ok());
    EXPECT_EQ(opened.error().code, code) << opened.error().message;
    EXPECT_NE(opened.error().message.find(path()), std::string::npos) << opened.error().message;
    EXPECT_EQ(read_bytes(path()), before);
    EXPECT_EQ(files(), files_before);  // no -wal / -shm left behind either
  }
};

TEST_F(OpenTest, NewFileGetsTheSchemaInWalMode) {
  store_.reset();
  EXPECT_EQ(raw_int(path(), "PRAGMA user_version"), sqlite::latest_schema_version());
  EXPECT_EQ(raw_int(path(), "PRAGMA application_id"), sqlite::parley_application_id);
  EXPECT_EQ(read_bytes(path()).substr(18, 2), std::string("\x02\x02", 2));  // WAL read/write versions
  // A clean close checkpoints and removes the WAL.
  EXPECT_FALSE(std::filesystem::exists(path() + "-wal") && std::filesystem::file_size(path() + "-wal") > 0);
}

TEST_F(OpenTest, ReopenKeepsEverything) {
  UserRow a = add_user("ann");
  UserRow b = add_user("ben");
  Id g = add_group(a.id, {b.id}, "kept");
  send(g, a.id, "one");
  MessageRow two = send(g, b.id, "two");
  ASSERT_TRUE(store_->advance_read(g, a.id, 2).ok());
  ASSERT_TRUE(store_->soft_delete_message(two.id, 5).ok());

  reopen();
  EXPECT_EQ(must_find(store_->user_by_login("ANN")).id, a.id);
  EXPECT_EQ(must_find(store_->conversation_by_id(g)).title, "kept");
  EXPECT_EQ(must_find(store_->membership(g, a.id)).last_read_seq, 2);
  auto page = must(store_->messages(g, std::nullopt, std::nullopt, 10));
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[1].deleted_at, 5);
  EXPECT_EQ(send(g, a.id, "three").seq, 3);  // seq continues
  // Opening an up-to-date database again runs no migration and changes nothing.
  store_.reset();
  std::string before = read_bytes(path());
  open();
  store_.reset();
  EXPECT_EQ(read_bytes(path()), before);
}

TEST_F(OpenTest, AVersion2FileWithMessagesMigratesToTheLatest) {
  // A file as the previous release left it: schema version 2, one message.
  store_.reset();
  std::filesystem::remove(path());
  std::string v2;
  for (const auto& step : sqlite::migrations()) {
    if (step.version <= 2) v2 += step.sql;
  }
  raw_exec(path(), "PRAGMA journal_mode = WAL; BEGIN;" + v2 +
                       "PRAGMA user_version = 2;"
                       "INSERT INTO users VALUES (1, 'ann', 'ann', 'a@x', 'a@x', 'Ann', 'ann', 'h', 1, 0);"
                       "INSERT INTO conversations VALUES (2, 'group', 'g', NULL, 1, 1, 1, 5);"
                       "INSERT INTO members VALUES (2, 1, 'admin', 0, 1);"
                       "INSERT INTO messages VALUES (2, 1, 3, 1, 'c1', 5, NULL, 'old');"
                       "COMMIT;");
  open();
  EXPECT_EQ(raw_int(path(), "PRAGMA user_version"), sqlite::latest_schema_version());
  auto page = must(store_->messages(2, std::nullopt, std::nullopt, 10));
  ASSERT_EQ(page.size(), 1u);
  EXPECT_EQ(page[0].body, "old");
  EXPECT_TRUE(page[0].attachments.empty());
  // The new tables work on the migrated file.
  AttachmentRow a;
  a.id = 10;
  a.conversation_id = 2;
  a.uploader_id = 1;
  a.name = "f.txt";
  a.content_type = "text/plain";
  a.size = 3;
  a.created_at = 6;
  ASSERT_TRUE(store_->insert_attachment(a, 0, 100, std::nullopt).ok());
  MessageRow d = draft(2, 1, "with a file");
  d.attachments.push_back(AttachmentRow{});
  d.attachments.back().id = 10;
  auto sent = store_->append_message(d);
  ASSERT_TRUE(sent.ok()) << sent.error().message;
  EXPECT_EQ(sent->message.seq, 2);
  ASSERT_EQ(must_find(store_->message_by_id(d.id)).attachments.size(), 1u);
}

TEST_F(OpenTest, NewerSchemaIsRefusedAndUntouched) {
  add_user("ann");
  store_.reset();
  raw_exec(path(), "PRAGMA user_version = " + std::to_string(sqlite::latest_schema_version() + 1));
  expect_refused("schema_too_new");
}

TEST_F(OpenTest, GarbageIsRefusedAndUntouched) {
  store_.reset();
  std::string garbage;
  for (int i = 0; i < 10000; ++i) garbage.push_back(static_cast<char>((i * 7919) % 251));
  write_bytes(path(), garbage);
  expect_refused("not_a_database");
  write_bytes(path(), "hello");
  expect_refused("not_a_database");
}

TEST_F(OpenTest, DamagedPagesAreRefusedAndUntouched) {
  UserRow a = add_user("ann");
  Id g = add_group(a.id, {});
  for (int i = 0; i < 300; ++i) send(g, a.id, std::string(200, 'a' + i % 26));
  store_.reset();
  std::string bytes = read_bytes(path());
  ASSERT_GT(bytes.size(), 4096u * 8);
  // Keep the header page; scribble over the middle of the file.
  for (std::size_t i = 4096 * 3; i < 4096 * 6; ++i) bytes[i] = static_cast<char>(0xA5 ^ (i & 0xff));
  write_bytes(path(), bytes);
  expect_refused("corrupt_database");
}

TEST_F(OpenTest, AnotherApplicationsDatabaseIsRefused) {
  store_.reset();
  std::filesystem::remove(path());
  raw_exec(path(), "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)");
  expect_refused("foreign_database");
  raw_exec(path(), "PRAGMA application_id = 42");
  expect_refused("foreign_database");
}

TEST_F(OpenTest, EmptyFileBecomesADatabase) {
  store_.reset();
  std::filesystem::remove(path());
  write_bytes(path(), "");
  open();
  EXPECT_TRUE(store_->ping().ok());
}

TEST_F(OpenTest, UnusablePathsAreErrorsNotCrashes) {
  SqliteOptions o = options();
  o.path = dir_.file("no/such/dir/parley.db");
  auto r = open_sqlite_store(o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find(o.path), std::string::npos) << r.error().message;
  o.path = dir_.file("");
  EXPECT_FALSE(open_sqlite_store(o).ok());
  o.path = "";
  EXPECT_FALSE(open_sqlite_store(o).ok());
}

TEST_F(OpenTest, SynchronousNormalAndOneReaderWork) {
  store_.reset();
  SqliteOptions o = options();
  o.synchronous_full = false;
  o.readers = 1;
  o.max_batch = 1;
  o.quick_check = false;
  open(o);
  UserRow a = add_user("ann");
  EXPECT_TRUE(must(store_->user_by_id(a.id)));
}

}  // namespace
}  // namespace parley::store::testing
