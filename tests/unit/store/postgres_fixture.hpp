#pragma once
// A fixture for the PostgreSQL-specific tests: a fresh database and a store on
// it, plus builders for users, conversations and message drafts.

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "postgres_backend.hpp"
#include "store/store.hpp"

namespace parley::store::testing {

class PostgresStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::make_unique<TestPostgresDatabase>();
    if (!db_->available()) GTEST_SKIP() << db_->skip_reason();
    ASSERT_TRUE(db_->ok()) << db_->error();
    auto opened = db_->open(options());
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(*opened);
  }
  void TearDown() override {
    store_.reset();
    db_.reset();
  }
  virtual PostgresOptions options() const { return {}; }

  Id next_id() { return ++ids_; }

  Id add_user(const std::string& name) {
    UserRow u;
    u.id = next_id();
    u.username = name;
    u.email = name + "@example.com";
    u.display_name = name;
    u.password_hash = "hash";
    u.created_at = 1000;
    Status s = store_->insert_user(u);
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    return u.id;
  }

  Id add_group(const std::vector<Id>& users) {
    ConversationRow c;
    c.id = next_id();
    c.type = ConversationType::group;
    c.title = "group";
    c.created_by = users.front();
    c.created_at = 2000;
    std::vector<MemberRow> members;
    for (Id u : users) members.push_back(MemberRow{c.id, u, MemberRole::member, 0, 2000});
    auto r = store_->create_conversation(c, members);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return c.id;
  }

  MessageRow draft(Id conversation, Id sender, const std::string& client_msg_id) {
    MessageRow m;
    m.id = next_id();
    m.conversation_id = conversation;
    m.sender_id = sender;
    m.body = "body of " + client_msg_id;
    m.client_msg_id = client_msg_id;
    m.created_at = 3000 + m.id;
    return m;
  }

  std::unique_ptr<TestPostgresDatabase> db_;
  std::unique_ptr<Store> store_;
  std::atomic<Id> ids_{100};
};

}  // namespace parley::store::testing
