// Storage failures come back as values and change nothing; the store keeps
// working once the cause is gone. A full disk is simulated with
// PRAGMA max_page_count on the write connection.
#include <sqlite3.h>

#include "store/sqlite/function_job.hpp"
#include "store_test_support.hpp"

namespace parley::store::testing {
namespace {

class FaultsTest : public StoreTest {
 protected:
  // Runs `sql` on the writer's connection, inside its transaction.
  void on_writer(const std::function<void(sqlite::Connection&)>& fn) {
    std::promise<void> done;
    ASSERT_TRUE(impl().submit_for_test(sqlite::make_job<std::monostate>(
        [&](sqlite::Connection& db) -> Result<std::monostate> {
          fn(db);
          return std::monostate{};
        },
        [&](Result<std::monostate>) { done.set_value(); })));
    done.get_future().wait();
  }
};

TEST_F(FaultsTest, DiskFullIsUnavailableAndChangesNothing) {
  UserRow a = add_user("ann");
  Id g = add_group(a.id, {});
  send(g, a.id, "before");
  on_writer([](sqlite::Connection& db) {
    auto pages = db.query_int("PRAGMA page_count");
    ASSERT_TRUE(pages.ok());
    db.exec(("PRAGMA max_page_count = " + std::to_string(*pages)).c_str());
  });

  auto r = store_->append_message(draft(g, a.id, std::string(100000, 'x')));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::unavailable) << r.error().message;
  EXPECT_EQ(must_find(store_->conversation_by_id(g)).last_seq, 1);
  EXPECT_EQ(must(store_->messages(g, std::nullopt, std::nullopt, 10)).size(), 1u);

  on_writer([](sqlite::Connection& db) { db.exec("PRAGMA max_page_count = 1073741823"); });
  EXPECT_EQ(send(g, a.id, "after").seq, 2);
  reopen();
  EXPECT_EQ(must_find(store_->conversation_by_id(g)).last_seq, 2);
}

// A read that fails returns its error (the HTTP layer answers 503): it must not
// read as "no such user", which would turn a broken disk into a wrong answer.
// The users table's page is overwritten on disk while the store is closed, so
// that no connection holds it in its cache; the readers then meet it corrupt.
TEST_F(FaultsTest, AFailedReadIsAnErrorNotNothing) {
  UserRow a = add_user("ann");
  store_.reset();  // checkpoints: every page is in the main file, no WAL left
  std::int64_t page_size = 0, root = 0;
  {
    auto db = sqlite::Connection::open(path(), SQLITE_OPEN_READONLY);
    ASSERT_TRUE(db.ok());
    auto size = (*db)->query_int("PRAGMA page_size");
    auto page = (*db)->query_int("SELECT rootpage FROM sqlite_schema WHERE name = 'users'");
    ASSERT_TRUE(size.ok() && page.ok());
    page_size = *size;
    root = *page;
  }
  ASSERT_GT(root, 1);  // not the header page: the file still opens
  open();
  {
    std::fstream file(path(), std::ios::in | std::ios::out | std::ios::binary);
    file.seekp((root - 1) * page_size);
    const std::string garbage(static_cast<std::size_t>(page_size), '\xA5');
    file.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }

  auto by_id = store_->user_by_id(a.id);
  ASSERT_FALSE(by_id.ok()) << "a corrupt page read as " << (by_id.value() ? "a user" : "no user");
  EXPECT_EQ(by_id.error().kind, ErrorKind::unavailable) << by_id.error().message;
  auto by_ids = store_->users_by_ids({a.id});
  ASSERT_FALSE(by_ids.ok());
  EXPECT_EQ(by_ids.error().kind, ErrorKind::unavailable);
  // Reads that do not touch the page still work.
  auto conversation = store_->conversation_by_id(12345);
  ASSERT_TRUE(conversation.ok()) << conversation.error().message;
  EXPECT_FALSE(*conversation);
}

TEST_F(FaultsTest, ACallbackThatThrowsDoesNotStopTheWriter) {
  UserRow a = add_user("ann");
  Id g = add_group(a.id, {});
  std::promise<void> thrown;
  store_->append_message_async(draft(g, a.id, "x"), [&](Result<AppendResult>) {
    thrown.set_value();
    throw std::runtime_error("careless callback");
  });
  thrown.get_future().wait();
  EXPECT_EQ(send(g, a.id, "still here").seq, 2);
}

}  // namespace
}  // namespace parley::store::testing
