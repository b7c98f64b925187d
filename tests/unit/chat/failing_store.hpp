#pragma once
// FailingStore: a real store (SQLite in a temporary folder) behind a decorator
// that fails on command, the way a database server that went away fails:
// every read or write answers ErrorKind::unavailable while `fail_reads` /
// `fail_writes` is set, and changes nothing. It also counts member-list reads
// (to see what a cache kept) and can hold append completions so that a test
// releases them in the order it chooses (a backend that completes out of
// order).
//
// Thread-safety: as the store it wraps; the switches are atomics; held
// completions are under a mutex.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "store/sqlite/sqlite_store.hpp"
#include "store/store.hpp"

namespace parley::chat::testing {

class TempDir {
 public:
  TempDir() {
    const char* env = std::getenv("PARLEY_TEST_TMP");
    std::filesystem::path base = env != nullptr && *env != '\0' ? env : "/tmp";
    std::filesystem::create_directories(base);
    std::string pattern = (base / "parley-chat-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed under " + base.string());
    path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

class FailingStore final : public store::Store {
 public:
  explicit FailingStore(std::unique_ptr<store::Store> inner) : inner_(std::move(inner)) {}

  // A real SQLite store in `dir`.
  static std::unique_ptr<FailingStore> open(const std::filesystem::path& dir) {
    store::SqliteOptions options;
    options.path = (dir / "parley.db").string();
    options.synchronous_full = false;
    options.quick_check = false;
    auto opened = store::open_sqlite_store(options);
    if (!opened) throw std::runtime_error("cannot open the test store: " + opened.error().message);
    return std::make_unique<FailingStore>(std::move(*opened));
  }

  std::atomic<bool> fail_reads{false};
  std::atomic<bool> fail_writes{false};
  std::atomic<int> members_of_calls{0};
  std::atomic<bool> hold_appends{false};

  // Completions held while hold_appends was set, oldest first.
  using Held = std::pair<Result<store::AppendResult>, std::function<void(Result<store::AppendResult>)>>;
  std::vector<Held> take_held() {
    std::lock_guard lock(mutex_);
    return std::exchange(held_, {});
  }
  std::size_t held_count() {
    std::lock_guard lock(mutex_);
    return held_.size();
  }

  Status ping() override { return fail_reads ? Status(down()) : inner_->ping(); }
  Status insert_user(const store::UserRow& user) override {
    return fail_writes ? Status(down()) : inner_->insert_user(user);
  }
  Result<std::optional<store::UserRow>> user_by_id(Id id) override {
    if (fail_reads) return down();
    return inner_->user_by_id(id);
  }
  Result<std::optional<store::UserRow>> user_by_login(std::string_view login) override {
    if (fail_reads) return down();
    return inner_->user_by_login(login);
  }
  Result<std::vector<store::UserRow>> users_by_ids(const std::vector<Id>& ids) override {
    if (fail_reads) return down();
    return inner_->users_by_ids(ids);
  }
  Result<std::vector<store::UserRow>> search_users(std::string_view query, Id exclude, int limit) override {
    if (fail_reads) return down();
    return inner_->search_users(query, exclude, limit);
  }
  Status set_last_seen(Id user, TimeMs at) override {
    return fail_writes ? Status(down()) : inner_->set_last_seen(user, at);
  }
  Result<std::vector<Id>> contacts_of(Id user) override {
    if (fail_reads) return down();
    return inner_->contacts_of(user);
  }
  Result<store::CreatedConversation> create_conversation(const store::ConversationRow& row,
                                                         const std::vector<store::MemberRow>& members) override {
    if (fail_writes) return down();
    return inner_->create_conversation(row, members);
  }
  Result<std::optional<store::ConversationRow>> conversation_by_id(Id id) override {
    if (fail_reads) return down();
    return inner_->conversation_by_id(id);
  }
  Result<std::optional<store::MemberRow>> membership(Id conversation, Id user) override {
    if (fail_reads) return down();
    return inner_->membership(conversation, user);
  }
  Result<std::vector<store::MemberView>> members_of(Id conversation) override {
    ++members_of_calls;
    if (fail_reads) return down();
    return inner_->members_of(conversation);
  }
  Result<std::vector<store::ConversationSummary>> conversations_of(Id user, std::optional<store::ActivityCursor> cursor,
                                                                   int limit) override {
    if (fail_reads) return down();
    return inner_->conversations_of(user, cursor, limit);
  }
  Result<std::optional<store::ConversationSummary>> conversation_summary(Id conversation, Id user) override {
    if (fail_reads) return down();
    return inner_->conversation_summary(conversation, user);
  }
  Status update_conversation(Id conversation, const store::ConversationChange& change) override {
    return fail_writes ? Status(down()) : inner_->update_conversation(conversation, change);
  }
  Result<store::AppendResult> append_message(const store::MessageRow& draft) override {
    if (fail_writes) return down();
    return inner_->append_message(draft);
  }
  void append_message_async(store::MessageRow draft, std::function<void(Result<store::AppendResult>)> done) override {
    if (fail_writes) return done(down());
    if (!hold_appends) return inner_->append_message_async(std::move(draft), std::move(done));
    // Committed now (so the seq is assigned in call order); completed when the test says.
    auto result = inner_->append_message(draft);
    std::lock_guard lock(mutex_);
    held_.emplace_back(std::move(result), std::move(done));
  }
  Result<std::optional<store::MessageRow>> message_by_id(Id id) override {
    if (fail_reads) return down();
    return inner_->message_by_id(id);
  }
  Result<std::vector<store::MessageRow>> messages(Id conversation, std::optional<store::Seq> before,
                                                  std::optional<store::Seq> after, int limit) override {
    if (fail_reads) return down();
    return inner_->messages(conversation, before, after, limit);
  }
  Result<store::MessageRow> soft_delete_message(Id message, TimeMs at) override {
    if (fail_writes) return down();
    return inner_->soft_delete_message(message, at);
  }
  Result<store::ReadState> advance_read(Id conversation, Id user, store::Seq seq) override {
    if (fail_writes) return down();
    return inner_->advance_read(conversation, user, seq);
  }
  Result<std::int64_t> unread_count(Id conversation, Id user) override {
    if (fail_reads) return down();
    return inner_->unread_count(conversation, user);
  }

 private:
  static Error down() { return Error::unavailable("the database is away (test)"); }

  std::unique_ptr<store::Store> inner_;
  std::mutex mutex_;
  std::vector<Held> held_;  // GUARDED_BY(mutex_)
};

}  // namespace parley::chat::testing
