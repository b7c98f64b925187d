// Users: unique names and emails ignoring case, lookups, search, last seen,
// contacts. Every backend (conformance_fixture.hpp).
#include <algorithm>

#include "conformance_fixture.hpp"

namespace parley::store::testing {
namespace {

class ConformanceUsers : public ConformanceTest {};
CONFORMANCE_OVER_ALL_BACKENDS(ConformanceUsers);

std::vector<std::string> usernames(const std::vector<UserRow>& users) {
  std::vector<std::string> out;
  for (const auto& u : users) out.push_back(u.username);
  return out;
}

TEST_P(ConformanceUsers, Ping) { EXPECT_TRUE(store_->ping().ok()); }

TEST_P(ConformanceUsers, InsertAndReadBack) {
  UserRow alice = add_user("alice", "Alice Liddell");
  auto got = must(store_->user_by_id(alice.id));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->id, alice.id);
  EXPECT_EQ(got->username, "alice");
  EXPECT_EQ(got->email, "alice@example.com");
  EXPECT_EQ(got->display_name, "Alice Liddell");
  EXPECT_EQ(got->password_hash, alice.password_hash);
  EXPECT_EQ(got->created_at, alice.created_at);
  EXPECT_EQ(got->last_seen_at, 0);
  EXPECT_FALSE(must(store_->user_by_id(alice.id + 1)));
}

TEST_P(ConformanceUsers, UsernameAndEmailAreUniqueIgnoringCase) {
  UserRow alice = add_user("alice");
  UserRow same_name{ids_.next(), "ALICE", "other@example.com", "A", "h", 1, 0};
  Status s = store_->insert_user(same_name);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::conflict);
  EXPECT_EQ(s.error().code, "username_taken");

  UserRow same_email{ids_.next(), "alice2", "Alice@Example.COM", "A", "h", 1, 0};
  s = store_->insert_user(same_email);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::conflict);
  EXPECT_EQ(s.error().code, "email_taken");

  UserRow both{ids_.next(), "Alice", "ALICE@example.com", "A", "h", 1, 0};
  s = store_->insert_user(both);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "username_taken");

  // The refused rows changed nothing.
  EXPECT_FALSE(must(store_->user_by_id(same_name.id)));
  EXPECT_FALSE(must(store_->user_by_id(same_email.id)));
  EXPECT_EQ(must_find(store_->user_by_login("alice")).id, alice.id);
  EXPECT_FALSE(must(store_->user_by_login("other@example.com")));
  EXPECT_FALSE(must(store_->user_by_login("alice2")));

  UserRow fine{ids_.next(), "alice.b", "alice.b@example.com", "A", "h", 1, 0};
  EXPECT_TRUE(store_->insert_user(fine).ok());
  EXPECT_TRUE(must(store_->user_by_id(fine.id)));
}

TEST_P(ConformanceUsers, LoginByUsernameOrEmailIgnoringCase) {
  UserRow bob = add_user("bob");
  add_user("bobby");
  for (const char* login : {"bob", "BOB", "Bob", "bob@example.com", "BOB@EXAMPLE.com"}) {
    auto got = must(store_->user_by_login(login));
    ASSERT_TRUE(got) << login;
    EXPECT_EQ(got->id, bob.id) << login;
    EXPECT_EQ(got->username, "bob") << login;
    EXPECT_EQ(got->password_hash, bob.password_hash);
  }
  EXPECT_FALSE(must(store_->user_by_login("bo")));
  EXPECT_FALSE(must(store_->user_by_login("")));
  EXPECT_FALSE(must(store_->user_by_login("nobody@example.com")));
}

TEST_P(ConformanceUsers, UsersByIdsSkipsUnknown) {
  UserRow a = add_user("a_user");
  UserRow b = add_user("b_user");
  auto got = must(store_->users_by_ids({b.id, 424242, a.id}));
  ASSERT_EQ(got.size(), 2u);
  std::sort(got.begin(), got.end(), [](const UserRow& x, const UserRow& y) { return x.id < y.id; });
  EXPECT_EQ(got[0].id, a.id);
  EXPECT_EQ(got[0].username, "a_user");
  EXPECT_EQ(got[1].id, b.id);
  EXPECT_EQ(got[1].username, "b_user");
  EXPECT_TRUE(must(store_->users_by_ids({})).empty());
  EXPECT_TRUE(must(store_->users_by_ids({424242})).empty());
}

TEST_P(ConformanceUsers, SearchByPrefixDisplayNameAndExactEmail) {
  UserRow me = add_user("alex", "Alex Me");
  add_user("alice", "Wonder");
  add_user("albert", "Bert");
  add_user("zed", "Alfred Zed");
  add_user("bob", "Bob");

  // Prefix of username or display name, any case, by username, never the caller.
  EXPECT_EQ(usernames(must(store_->search_users("AL", me.id, 10))),
            (std::vector<std::string>{"albert", "alice", "zed"}));
  EXPECT_EQ(usernames(must(store_->search_users("al", me.id, 2))), (std::vector<std::string>{"albert", "alice"}));
  EXPECT_EQ(usernames(must(store_->search_users("wond", me.id, 10))), (std::vector<std::string>{"alice"}));
  // Not a substring: "ert" is inside "albert" and "Bert" but starts neither.
  EXPECT_TRUE(must(store_->search_users("ert", me.id, 10)).empty());
  // Email: exact only, ignoring case.
  EXPECT_EQ(usernames(must(store_->search_users("BOB@example.com", me.id, 10))), (std::vector<std::string>{"bob"}));
  EXPECT_TRUE(must(store_->search_users("bob@example", me.id, 10)).empty());
  EXPECT_TRUE(must(store_->search_users("alex@example.com", me.id, 10)).empty());
  EXPECT_TRUE(must(store_->search_users("al", me.id, 0)).empty());
  // Results carry no email and no hash.
  auto all = must(store_->search_users("a", me.id, 10));
  EXPECT_FALSE(all.empty());
  for (const auto& u : all) {
    EXPECT_TRUE(u.email.empty());
    EXPECT_TRUE(u.password_hash.empty());
    EXPECT_FALSE(u.username.empty());
  }
}

TEST_P(ConformanceUsers, SearchTreatsWildcardsLiterally) {
  UserRow me = add_user("me");
  add_user("a_b");
  add_user("axb");
  add_user("x", "100% sure");
  EXPECT_EQ(usernames(must(store_->search_users("a_", me.id, 10))), (std::vector<std::string>{"a_b"}));
  EXPECT_EQ(must(store_->search_users("%", me.id, 10)).size(), 0u);
  EXPECT_EQ(usernames(must(store_->search_users("100%", me.id, 10))), (std::vector<std::string>{"x"}));
  EXPECT_EQ(must(store_->search_users("a%", me.id, 10)).size(), 0u);
}

TEST_P(ConformanceUsers, LastSeenMovesForwardOnly) {
  UserRow u = add_user("carol");
  ASSERT_TRUE(store_->set_last_seen(u.id, 5000).ok());
  EXPECT_EQ(must_find(store_->user_by_id(u.id)).last_seen_at, 5000);
  ASSERT_TRUE(store_->set_last_seen(u.id, 4000).ok());
  EXPECT_EQ(must_find(store_->user_by_id(u.id)).last_seen_at, 5000);
  ASSERT_TRUE(store_->set_last_seen(u.id, 6000).ok());
  EXPECT_EQ(must_find(store_->user_by_id(u.id)).last_seen_at, 6000);
  Status s = store_->set_last_seen(999, 1);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::not_found);
}

TEST_P(ConformanceUsers, ContactsAreEveryoneSharingAConversation) {
  UserRow ann = add_user("ann2");
  UserRow ben = add_user("ben2");
  UserRow cat = add_user("cat2");
  UserRow dan = add_user("dan2");
  Id one = add_group(ann.id, {ben.id, cat.id}, "One");
  add_group(ben.id, {ann.id}, "Two");
  auto sorted = [](std::vector<Id> ids) {
    std::sort(ids.begin(), ids.end());
    return ids;
  };
  // ben shares two conversations with ann and is listed once; ann never.
  EXPECT_EQ(sorted(must(store_->contacts_of(ann.id))), sorted({ben.id, cat.id}));
  EXPECT_EQ(sorted(must(store_->contacts_of(cat.id))), sorted({ann.id, ben.id}));
  EXPECT_TRUE(must(store_->contacts_of(dan.id)).empty());
  EXPECT_TRUE(must(store_->contacts_of(424242)).empty());

  // Leaving the only shared conversation ends the contact.
  ConversationChange leave;
  leave.remove = {cat.id};
  ASSERT_TRUE(store_->update_conversation(one, leave).ok());
  EXPECT_EQ(must(store_->contacts_of(ann.id)), std::vector<Id>{ben.id});
  EXPECT_TRUE(must(store_->contacts_of(cat.id)).empty());
}

}  // namespace
}  // namespace parley::store::testing
