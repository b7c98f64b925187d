#pragma once
// Helpers for the SQLite store tests: a temporary directory (under
// $PARLEY_TEST_TMP, else /tmp) removed afterwards, a fixture that opens a real
// store in it, and builders for users, conversations and messages.

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/ids.hpp"
#include "store/sqlite/connection.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/sqlite/sqlite_store_impl.hpp"
#include "store/sqlite/writer.hpp"
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

class TempDir {
 public:
  TempDir() {
    const char* env = std::getenv("PARLEY_TEST_TMP");
    std::filesystem::path base = env != nullptr && *env != '\0' ? env : "/tmp";
    std::filesystem::create_directories(base);
    std::string pattern = (base / "parley-store-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed under " + base.string());
    path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// Rows in `t` of the database at `path`, read through a fresh read-only
// connection on the default VFS (what another process would see); -1 on error.
inline std::int64_t count_rows_of_t(const std::string& path) {
  auto db = sqlite::Connection::open(path, SQLITE_OPEN_READONLY);
  if (!db.ok()) return -1;
  auto n = (*db)->query_int("SELECT count(*) FROM t");
  return n.ok() ? *n : -1;
}

inline std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// A write job that holds the writer thread until released: jobs submitted
// meanwhile queue up and go into the next batch together. The job owns the
// "started" promise, so it outlives its set_value().
class GateJob final : public sqlite::WriteJob {
 public:
  explicit GateJob(std::shared_future<void> gate) : gate_(std::move(gate)) {}
  std::future<void> started() { return started_.get_future(); }
  bool run(sqlite::Connection&) override {
    started_.set_value();
    gate_.wait();
    return true;
  }
  void complete(const Error*) override {}

 private:
  std::shared_future<void> gate_;
  std::promise<void> started_;
};

// Submits a GateJob through `submit` and waits until the writer runs it.
// Fulfil the returned promise to let the writer go on.
template <class Submit>
std::promise<void> hold_writer(Submit submit) {
  std::promise<void> gate;
  auto job = std::make_unique<GateJob>(gate.get_future().share());
  std::future<void> started = job->started();
  EXPECT_TRUE(submit(std::move(job)));
  started.wait();
  return gate;
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    spdlog::set_level(spdlog::level::warn);
    open();
  }

  SqliteOptions options() const {
    SqliteOptions o;
    o.path = path();
    return o;
  }
  std::string path() const { return dir_.file("parley.db"); }

  void open(const SqliteOptions& o) {
    auto opened = open_sqlite_store(o);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(opened).value();
  }
  void open() { open(options()); }
  void reopen() {
    store_.reset();
    open();
  }
  sqlite::SqliteStore& impl() { return dynamic_cast<sqlite::SqliteStore&>(*store_); }

  UserRow add_user(const std::string& username, const std::string& display_name = "") {
    UserRow u;
    u.id = ids_.next();
    u.username = username;
    u.email = username + "@example.com";
    u.display_name = display_name.empty() ? username : display_name;
    u.password_hash = "$argon2id$hash-of-" + username;
    u.created_at = now_;
    Status s = store_->insert_user(u);
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
    auto r = store_->create_conversation(c, members);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? r->id : 0;
  }

  Result<CreatedConversation> add_direct(Id a, Id b) {
    ConversationRow c;
    c.id = ids_.next();
    c.type = ConversationType::direct;
    c.created_by = a;
    c.created_at = tick();
    return store_->create_conversation(c, {{c.id, a, MemberRole::member, 0, c.created_at},
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
    auto r = store_->append_message(draft(conversation, sender, body, client_id));
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? r->message : MessageRow{};
  }

  TimeMs tick() { return now_ += 1000; }

  TempDir dir_;
  IdGenerator ids_{1};
  std::atomic<TimeMs> now_{1767225600000};
  std::unique_ptr<Store> store_;
};

// Two users, "me" and "you", in a group `g_` that "me" created.
class GroupOfTwoTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    me_ = add_user("me");
    you_ = add_user("you");
    g_ = add_group(me_.id, {you_.id});
  }
  UserRow me_, you_;
  Id g_ = 0;
};

inline std::vector<Seq> seqs(const std::vector<MessageRow>& page) {
  std::vector<Seq> out;
  for (const auto& m : page) out.push_back(m.seq);
  return out;
}

}  // namespace parley::store::testing
