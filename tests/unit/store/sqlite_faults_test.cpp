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
  EXPECT_EQ(store_->conversation_by_id(g)->last_seq, 1);
  EXPECT_EQ(store_->messages(g, std::nullopt, std::nullopt, 10).size(), 1u);

  on_writer([](sqlite::Connection& db) { db.exec("PRAGMA max_page_count = 1073741823"); });
  EXPECT_EQ(send(g, a.id, "after").seq, 2);
  reopen();
  EXPECT_EQ(store_->conversation_by_id(g)->last_seq, 2);
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
