#pragma once
// Test helpers shared by every store test, whatever the backend: unwrapping
// reads that must succeed, and builders for users, conversations and messages
// written through the Store interface.
//
// Thread-safety: the builders may be called from several test threads at once
// (the ids and the clock are atomic), must()/must_find() only from the test's
// main thread (see below).

#include <gtest/gtest.h>

#include <atomic>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "common/ids.hpp"
#include "common/result.hpp"
#include "store/store.hpp"

namespace parley::store::testing {

// What a read that the test expects to succeed read. A failed read throws,
// which GoogleTest reports as a failure of the test (with the store's message);
// never call these on a thread of the test's own (a throw there ends the process).
template <class T>
T must(Result<T> read) {
  if (!read) throw std::runtime_error("store read failed: " + read.error().message);
  return std::move(read).value();
}

// Same, for a lookup whose row the test expects to exist.
template <class T>
T must_find(Result<std::optional<T>> read) {
  std::optional<T> row = must(std::move(read));
  if (!row) throw std::runtime_error("store read found nothing");
  return std::move(*row);
}

inline std::vector<Seq> seqs(const std::vector<MessageRow>& page) {
  std::vector<Seq> out;
  for (const auto& m : page) out.push_back(m.seq);
  return out;
}

// Mixed into a fixture that says which store the builders write to.
class StoreBuilders {
 public:
  virtual ~StoreBuilders() = default;

 protected:
  virtual Store& store() = 0;

  UserRow add_user(const std::string& username, const std::string& display_name = "") {
    UserRow u;
    u.id = ids_.next();
    u.username = username;
    u.email = username + "@example.com";
    u.display_name = display_name.empty() ? username : display_name;
    u.password_hash = "$argon2id$hash-of-" + username;
    u.created_at = now_;
    Status s = store().insert_user(u);
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    return u;
  }

  Id add_group(Id creator, const std::vector<Id>& others, const std::string& title = "group") {
    ConversationRow c;
    c.id = ids_.next();
    c.type = ConversationType::group;
    c.title = title;
    c.created_by = creator;
    c.created_at = tick();
    std::vector<MemberRow> members{{c.id, creator, MemberRole::admin, 0, c.created_at}};
    for (Id o : others) members.push_back({c.id, o, MemberRole::member, 0, c.created_at});
    auto r = store().create_conversation(c, members);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? r->id : 0;
  }

  Result<CreatedConversation> add_direct(Id a, Id b) {
    ConversationRow c;
    c.id = ids_.next();
    c.type = ConversationType::direct;
    c.created_by = a;
    c.created_at = tick();
    return store().create_conversation(c, {{c.id, a, MemberRole::member, 0, c.created_at},
                                           {c.id, b, MemberRole::member, 0, c.created_at}});
  }

  MessageRow draft(Id conversation, Id sender, const std::string& body, const std::string& client_id = "") {
    MessageRow m;
    m.id = ids_.next();
    m.conversation_id = conversation;
    m.sender_id = sender;
    m.body = body;
    m.client_msg_id = client_id.empty() ? "c-" + std::to_string(m.id) : client_id;
    m.created_at = tick();
    return m;
  }

  MessageRow send(Id conversation, Id sender, const std::string& body, const std::string& client_id = "") {
    auto r = store().append_message(draft(conversation, sender, body, client_id));
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? r->message : MessageRow{};
  }

  TimeMs tick() { return now_ += 1000; }

  IdGenerator ids_{1};
  std::atomic<TimeMs> now_{1767225600000};
};

// Two users, "me" and "you", in a group `g_` that "me" created, on top of
// `Fixture`: a GoogleTest fixture and StoreBuilders whose store is open once
// Fixture::SetUp() has run (ConformanceTest, StoreTest).
template <class Fixture>
class WithGroupOfTwo : public Fixture {
 protected:
  void SetUp() override {
    Fixture::SetUp();
    if (this->IsSkipped() || this->HasFatalFailure()) return;
    me_ = this->add_user("me");
    you_ = this->add_user("you");
    g_ = this->add_group(me_.id, {you_.id});
  }
  UserRow me_, you_;
  Id g_ = 0;
};

}  // namespace parley::store::testing
