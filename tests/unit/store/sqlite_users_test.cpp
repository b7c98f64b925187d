#include "store_test_support.hpp"

namespace parley::store::testing {
namespace {

using UsersTest = StoreTest;

TEST_F(UsersTest, InsertAndReadBack) {
  UserRow alice = add_user("alice", "Alice Liddell");
  auto got = must(store_->user_by_id(alice.id));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->username, "alice");
  EXPECT_EQ(got->email, "alice@example.com");
  EXPECT_EQ(got->display_name, "Alice Liddell");
  EXPECT_EQ(got->password_hash, alice.password_hash);
  EXPECT_EQ(got->created_at, alice.created_at);
  EXPECT_EQ(got->last_seen_at, 0);
  EXPECT_FALSE(must(store_->user_by_id(alice.id + 1)));
}

TEST_F(UsersTest, UsernameAndEmailAreUniqueIgnoringCase) {
  add_user("alice");
  UserRow same_name{ids_.next(), "ALICE", "other@example.com", "A", "h", 1, 0};
  Status s = store_->insert_user(same_name);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::conflict);
  EXPECT_EQ(s.error().code, "username_taken");

  UserRow same_email{ids_.next(), "alice2", "Alice@Example.COM", "A", "h", 1, 0};
  s = store_->insert_user(same_email);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "email_taken");

  UserRow both{ids_.next(), "Alice", "ALICE@example.com", "A", "h", 1, 0};
  s = store_->insert_user(both);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "username_taken");

  UserRow fine{ids_.next(), "alice.b", "alice.b@example.com", "A", "h", 1, 0};
  EXPECT_TRUE(store_->insert_user(fine).ok());
}

TEST_F(UsersTest, LoginByUsernameOrEmailIgnoringCase) {
  UserRow bob = add_user("bob");
  add_user("bobby");
  for (const char* login : {"bob", "BOB", "Bob", "bob@example.com", "BOB@EXAMPLE.com"}) {
    auto got = must(store_->user_by_login(login));
    ASSERT_TRUE(got) << login;
    EXPECT_EQ(got->id, bob.id) << login;
    EXPECT_EQ(got->password_hash, bob.password_hash);
  }
  EXPECT_FALSE(must(store_->user_by_login("bo")));
  EXPECT_FALSE(must(store_->user_by_login("")));
  EXPECT_FALSE(must(store_->user_by_login("nobody@example.com")));
}

TEST_F(UsersTest, UsersByIdsSkipsUnknown) {
  UserRow a = add_user("a_user");
  UserRow b = add_user("b_user");
  auto got = must(store_->users_by_ids({b.id, 424242, a.id}));
  ASSERT_EQ(got.size(), 2u);
  EXPECT_TRUE((got[0].id == a.id && got[1].id == b.id) || (got[0].id == b.id && got[1].id == a.id));
  EXPECT_TRUE(must(store_->users_by_ids({})).empty());
}

TEST_F(UsersTest, SearchByPrefixDisplayNameAndExactEmail) {
  UserRow me = add_user("alex", "Alex Me");
  UserRow alice = add_user("alice", "Wonder");
  UserRow albert = add_user("albert", "Bert");
  UserRow zed = add_user("zed", "Alfred Zed");
  add_user("bob", "Bob");

  auto names = [](const std::vector<UserRow>& users) {
    std::vector<std::string> out;
    for (const auto& u : users) out.push_back(u.username);
    return out;
  };
  // Prefix of username or display name, any case, by username, never the caller.
  EXPECT_EQ(names(must(store_->search_users("AL", me.id, 10))), (std::vector<std::string>{"albert", "alice", "zed"}));
  EXPECT_EQ(names(must(store_->search_users("al", me.id, 2))), (std::vector<std::string>{"albert", "alice"}));
  EXPECT_EQ(names(must(store_->search_users("wond", me.id, 10))), (std::vector<std::string>{"alice"}));
  // Email: exact only, ignoring case.
  EXPECT_EQ(names(must(store_->search_users("BOB@example.com", me.id, 10))), (std::vector<std::string>{"bob"}));
  EXPECT_TRUE(must(store_->search_users("bob@example", me.id, 10)).empty());
  EXPECT_TRUE(must(store_->search_users("alex@example.com", me.id, 10)).empty());
  EXPECT_TRUE(must(store_->search_users("al", me.id, 0)).empty());
  // Results carry no email and no hash.
  for (const auto& u : must(store_->search_users("a", me.id, 10))) {
    EXPECT_TRUE(u.email.empty());
    EXPECT_TRUE(u.password_hash.empty());
  }
  (void)alice;
  (void)albert;
  (void)zed;
}

TEST_F(UsersTest, SearchTreatsWildcardsLiterally) {
  UserRow me = add_user("me");
  add_user("a_b");
  add_user("axb");
  add_user("x", "100% sure");
  EXPECT_EQ(must(store_->search_users("a_", me.id, 10)).size(), 1u);
  EXPECT_EQ(must(store_->search_users("%", me.id, 10)).size(), 0u);
  EXPECT_EQ(must(store_->search_users("100%", me.id, 10)).size(), 1u);
  EXPECT_EQ(must(store_->search_users("a%", me.id, 10)).size(), 0u);
  // Bytes that are not UTF-8 do not crash anything.
  EXPECT_TRUE(must(store_->search_users(std::string("\xff\xfe", 2), me.id, 10)).empty());
}

TEST_F(UsersTest, LastSeenMovesForwardOnly) {
  UserRow u = add_user("carol");
  ASSERT_TRUE(store_->set_last_seen(u.id, 5000).ok());
  EXPECT_EQ(must_find(store_->user_by_id(u.id)).last_seen_at, 5000);
  ASSERT_TRUE(store_->set_last_seen(u.id, 4000).ok());
  EXPECT_EQ(must_find(store_->user_by_id(u.id)).last_seen_at, 5000);
  Status s = store_->set_last_seen(999, 1);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::not_found);
}

TEST_F(UsersTest, Ping) { EXPECT_TRUE(store_->ping().ok()); }

}  // namespace
}  // namespace parley::store::testing
