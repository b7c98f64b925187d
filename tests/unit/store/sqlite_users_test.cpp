// What SQLite does with user input that the conformance suite leaves open
// (conformance_users_test.cpp has the behaviour every backend shares).
#include "store_test_support.hpp"

namespace parley::store::testing {
namespace {

using SqliteUsersTest = StoreTest;

// SQLite stores and compares bytes: a query that is not UTF-8 (the HTTP layer
// should have refused it) is a search like any other and finds nothing.
TEST_F(SqliteUsersTest, SearchWithBytesThatAreNotUtf8FindsNothing) {
  UserRow me = add_user("me");
  add_user("x", "100% sure");
  EXPECT_TRUE(must(store_->search_users(std::string("\xff\xfe", 2), me.id, 10)).empty());
  EXPECT_FALSE(must(store_->user_by_login(std::string("\xff", 1))));
}

}  // namespace
}  // namespace parley::store::testing
