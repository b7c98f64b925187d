#pragma once
// FaultyStore: a Store for tests that forwards every call to a real backend
// and fails the calls it is told to with ErrorKind::unavailable, as a backend
// does when its disk or its database server is away. A fake, not a mock: what
// is not failed really happens, and a failed call never reaches the backend
// (store.hpp: a failed write changed nothing).
//
//   FaultyStore store(backend);                     // or FaultyStore(std::move(owned))
//   store.fail_next(2);                             // the next 2 calls, any method
//   store.fail_next(1, {StoreCall::append_message});
//   store.fail_always(FaultyStore::reads());        // until heal()
//   store.heal();
//
// append_message_async that is failed completes as a real backend's would:
// by default on a thread of the FaultyStore's own, as a failed commit does;
// with set_async_failure(AsyncFailure::refused_at_once), at once on the
// caller's thread, as a refused write (closing, queue full) does. Both are
// allowed by store.hpp, so callers must cope with both. Either way `done` runs
// exactly once.
//
// hold_appends(true) makes it a backend that completes out of order: an
// append_message_async that is not failed commits at once (through the
// backend's append_message, so seqs follow call order) and its `done` waits,
// with its result, until the test takes it with take_held_appends() and runs
// it on the thread and in the order it chooses.
//
// Thread-safety: every method from any thread (the fault settings are under a
// mutex). Ownership: borrows or owns the backend; the destructor delivers the
// failed completions still queued, then stops its thread, then destroys an
// owned backend; held appends not taken are dropped with their `done` never
// run (take them all first). Destroy it only after every call into it has
// returned.

#include <bitset>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/result.hpp"
#include "store/store.hpp"

namespace parley::store::testing {

// One per method of Store that can fail (stats() cannot).
enum class StoreCall {
  ping,
  insert_user,
  user_by_id,
  user_by_login,
  users_by_ids,
  search_users,
  set_last_seen,
  contacts_of,
  create_conversation,
  conversation_by_id,
  membership,
  members_of,
  conversations_of,
  conversation_summary,
  update_conversation,
  append_message,
  append_message_async,
  message_by_id,
  messages,
  soft_delete_message,
  advance_read,
  unread_count,
  insert_attachment,
  attachment_by_id,
  uploaded_bytes_since,
  finish_preview,
  reclaimable_attachments,
  purge_attachments,
  enqueue_job,
  claim_job,
  complete_job,
  retry_job,
  reschedule_job,
  edit_message,
  set_reaction,
  changed_messages,
  set_muted,
  search_messages,
};
inline constexpr std::size_t store_call_count = static_cast<std::size_t>(StoreCall::search_messages) + 1;

inline const char* store_call_name(StoreCall call) {
  switch (call) {  // no default: -Wswitch names a method added to StoreCall but not here
    case StoreCall::ping: return "ping";
    case StoreCall::insert_user: return "insert_user";
    case StoreCall::user_by_id: return "user_by_id";
    case StoreCall::user_by_login: return "user_by_login";
    case StoreCall::users_by_ids: return "users_by_ids";
    case StoreCall::search_users: return "search_users";
    case StoreCall::set_last_seen: return "set_last_seen";
    case StoreCall::contacts_of: return "contacts_of";
    case StoreCall::create_conversation: return "create_conversation";
    case StoreCall::conversation_by_id: return "conversation_by_id";
    case StoreCall::membership: return "membership";
    case StoreCall::members_of: return "members_of";
    case StoreCall::conversations_of: return "conversations_of";
    case StoreCall::conversation_summary: return "conversation_summary";
    case StoreCall::update_conversation: return "update_conversation";
    case StoreCall::append_message: return "append_message";
    case StoreCall::append_message_async: return "append_message_async";
    case StoreCall::message_by_id: return "message_by_id";
    case StoreCall::messages: return "messages";
    case StoreCall::soft_delete_message: return "soft_delete_message";
    case StoreCall::advance_read: return "advance_read";
    case StoreCall::unread_count: return "unread_count";
    case StoreCall::insert_attachment: return "insert_attachment";
    case StoreCall::attachment_by_id: return "attachment_by_id";
    case StoreCall::uploaded_bytes_since: return "uploaded_bytes_since";
    case StoreCall::finish_preview: return "finish_preview";
    case StoreCall::reclaimable_attachments: return "reclaimable_attachments";
    case StoreCall::purge_attachments: return "purge_attachments";
    case StoreCall::enqueue_job: return "enqueue_job";
    case StoreCall::claim_job: return "claim_job";
    case StoreCall::complete_job: return "complete_job";
    case StoreCall::retry_job: return "retry_job";
    case StoreCall::reschedule_job: return "reschedule_job";
    case StoreCall::edit_message: return "edit_message";
    case StoreCall::set_reaction: return "set_reaction";
    case StoreCall::changed_messages: return "changed_messages";
    case StoreCall::set_muted: return "set_muted";
    case StoreCall::search_messages: return "search_messages";
  }
  return "?";
}

class FaultyStore final : public Store {
 public:
  enum class AsyncFailure {
    after_commit,     // `done` runs later, on the FaultyStore's thread (default)
    refused_at_once,  // `done` runs before append_message_async returns, on the caller's thread
  };

  explicit FaultyStore(Store& backend) : backend_(&backend) {}
  explicit FaultyStore(std::unique_ptr<Store> backend) : owned_(std::move(backend)), backend_(owned_.get()) {}
  FaultyStore(const FaultyStore&) = delete;
  FaultyStore& operator=(const FaultyStore&) = delete;

  ~FaultyStore() override {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (completer_.joinable()) completer_.join();
  }

  // ---- what to fail

  // Every read of the interface, and every write, for fail_always / fail_next.
  static std::vector<StoreCall> reads() {
    return {StoreCall::user_by_id,       StoreCall::user_by_login,      StoreCall::users_by_ids,
            StoreCall::search_users,     StoreCall::contacts_of,        StoreCall::conversation_by_id,
            StoreCall::membership,       StoreCall::members_of,         StoreCall::conversations_of,
            StoreCall::conversation_summary, StoreCall::message_by_id,  StoreCall::messages,
            StoreCall::unread_count,     StoreCall::attachment_by_id,   StoreCall::uploaded_bytes_since,
            StoreCall::reclaimable_attachments, StoreCall::changed_messages, StoreCall::search_messages};
  }
  static std::vector<StoreCall> writes() {
    return {StoreCall::insert_user,         StoreCall::set_last_seen,  StoreCall::create_conversation,
            StoreCall::update_conversation, StoreCall::append_message, StoreCall::append_message_async,
            StoreCall::soft_delete_message, StoreCall::advance_read,   StoreCall::insert_attachment,
            StoreCall::finish_preview,      StoreCall::purge_attachments, StoreCall::enqueue_job,
            StoreCall::claim_job,           StoreCall::complete_job,   StoreCall::retry_job,
            StoreCall::reschedule_job,      StoreCall::edit_message,   StoreCall::set_reaction,
            StoreCall::set_muted};
  }
  static std::vector<StoreCall> everything() {
    std::vector<StoreCall> all;
    for (std::size_t i = 0; i < store_call_count; ++i) all.push_back(static_cast<StoreCall>(i));
    return all;
  }

  // The next `n` calls fail, of any method or, given `only`, of those methods
  // (calls of others go through and do not count). Replaces an earlier fail_next.
  void fail_next(int n) { fail_next(n, everything()); }
  void fail_next(int n, const std::vector<StoreCall>& only) {
    std::lock_guard lock(mu_);
    next_ = n;
    next_only_ = to_bits(only);
  }
  // Every call of these methods fails until heal() (adds to earlier ones).
  void fail_always(const std::vector<StoreCall>& calls) {
    std::lock_guard lock(mu_);
    always_ |= to_bits(calls);
  }
  // No more failures: forgets fail_next and fail_always.
  void heal() {
    std::lock_guard lock(mu_);
    next_ = 0;
    always_.reset();
  }
  void set_async_failure(AsyncFailure how) {
    std::lock_guard lock(mu_);
    async_failure_ = how;
  }

  // ---- holding append completions (see above)

  struct HeldAppend {
    Result<AppendResult> result;
    std::function<void(Result<AppendResult>)> done;  // run it with `result`, once
  };
  // Holds the completions of appends from now on (true) or forwards them to
  // the backend again (false; those already held stay held).
  void hold_appends(bool hold) {
    std::lock_guard lock(mu_);
    hold_appends_ = hold;
  }
  // The completions held so far, oldest first; they are the caller's to run.
  std::vector<HeldAppend> take_held_appends() {
    std::lock_guard lock(mu_);
    return std::exchange(held_, {});
  }
  std::size_t held_appends() const {
    std::lock_guard lock(mu_);
    return held_.size();
  }

  // ---- what happened

  // Calls of `call` so far, failed or not.
  std::int64_t calls(StoreCall call) const {
    std::lock_guard lock(mu_);
    return calls_[static_cast<std::size_t>(call)];
  }
  // Calls failed on purpose so far.
  std::int64_t injected() const {
    std::lock_guard lock(mu_);
    return injected_;
  }
  Store& backend() { return *backend_; }

  // ---- Store

  Status ping() override { return fault(StoreCall::ping).value_or_call([&] { return backend_->ping(); }); }
  StoreStats stats() const override { return backend_->stats(); }

  Status insert_user(const UserRow& user) override {
    return fault(StoreCall::insert_user).value_or_call([&] { return backend_->insert_user(user); });
  }
  Result<std::optional<UserRow>> user_by_id(Id id) override {
    return fault(StoreCall::user_by_id).value_or_call([&] { return backend_->user_by_id(id); });
  }
  Result<std::optional<UserRow>> user_by_login(std::string_view username_or_email) override {
    return fault(StoreCall::user_by_login).value_or_call([&] { return backend_->user_by_login(username_or_email); });
  }
  Result<std::vector<UserRow>> users_by_ids(const std::vector<Id>& ids) override {
    return fault(StoreCall::users_by_ids).value_or_call([&] { return backend_->users_by_ids(ids); });
  }
  Result<std::vector<UserRow>> search_users(std::string_view query, Id exclude, int limit) override {
    return fault(StoreCall::search_users).value_or_call([&] { return backend_->search_users(query, exclude, limit); });
  }
  Status set_last_seen(Id user, TimeMs at) override {
    return fault(StoreCall::set_last_seen).value_or_call([&] { return backend_->set_last_seen(user, at); });
  }
  Result<std::vector<Id>> contacts_of(Id user) override {
    return fault(StoreCall::contacts_of).value_or_call([&] { return backend_->contacts_of(user); });
  }

  Result<CreatedConversation> create_conversation(const ConversationRow& row,
                                                  const std::vector<MemberRow>& members) override {
    return fault(StoreCall::create_conversation).value_or_call([&] {
      return backend_->create_conversation(row, members);
    });
  }
  Result<std::optional<ConversationRow>> conversation_by_id(Id id) override {
    return fault(StoreCall::conversation_by_id).value_or_call([&] { return backend_->conversation_by_id(id); });
  }
  Result<std::optional<MemberRow>> membership(Id conversation, Id user) override {
    return fault(StoreCall::membership).value_or_call([&] { return backend_->membership(conversation, user); });
  }
  Result<std::vector<MemberView>> members_of(Id conversation) override {
    return fault(StoreCall::members_of).value_or_call([&] { return backend_->members_of(conversation); });
  }
  Result<std::vector<ConversationSummary>> conversations_of(Id user, std::optional<ActivityCursor> cursor,
                                                            int limit) override {
    return fault(StoreCall::conversations_of).value_or_call([&] {
      return backend_->conversations_of(user, cursor, limit);
    });
  }
  Result<std::optional<ConversationSummary>> conversation_summary(Id conversation, Id user) override {
    return fault(StoreCall::conversation_summary).value_or_call([&] {
      return backend_->conversation_summary(conversation, user);
    });
  }
  Status update_conversation(Id conversation, const ConversationChange& change) override {
    return fault(StoreCall::update_conversation).value_or_call([&] {
      return backend_->update_conversation(conversation, change);
    });
  }

  Result<AppendResult> append_message(const MessageRow& draft) override {
    return fault(StoreCall::append_message).value_or_call([&] { return backend_->append_message(draft); });
  }
  void append_message_async(MessageRow draft, std::function<void(Result<AppendResult>)> done) override {
    Fault f = fault(StoreCall::append_message_async);
    if (!f.error && f.hold_append) {
      Result<AppendResult> result = backend_->append_message(draft);
      std::lock_guard lock(mu_);
      held_.push_back(HeldAppend{std::move(result), std::move(done)});
      return;
    }
    if (!f.error) {
      backend_->append_message_async(std::move(draft), std::move(done));
      return;
    }
    if (f.async_failure == AsyncFailure::refused_at_once) {
      done(std::move(*f.error));
      return;
    }
    complete_later([done = std::move(done), error = std::move(*f.error)]() mutable { done(std::move(error)); });
  }
  Result<std::optional<MessageRow>> message_by_id(Id id) override {
    return fault(StoreCall::message_by_id).value_or_call([&] { return backend_->message_by_id(id); });
  }
  Result<std::vector<MessageRow>> messages(Id conversation, std::optional<Seq> before, std::optional<Seq> after,
                                           int limit) override {
    return fault(StoreCall::messages).value_or_call([&] {
      return backend_->messages(conversation, before, after, limit);
    });
  }
  Result<MessageRow> soft_delete_message(Id message, TimeMs at) override {
    return fault(StoreCall::soft_delete_message).value_or_call([&] {
      return backend_->soft_delete_message(message, at);
    });
  }
  Result<ReadState> advance_read(Id conversation, Id user, Seq seq) override {
    return fault(StoreCall::advance_read).value_or_call([&] {
      return backend_->advance_read(conversation, user, seq);
    });
  }
  Result<std::int64_t> unread_count(Id conversation, Id user) override {
    return fault(StoreCall::unread_count).value_or_call([&] { return backend_->unread_count(conversation, user); });
  }
  Result<MessageRow> edit_message(Id message, std::string_view body, const std::vector<Id>& mentions,
                                  TimeMs at) override {
    return fault(StoreCall::edit_message).value_or_call([&] { return backend_->edit_message(message, body, mentions, at); });
  }
  Result<ReactionChange> set_reaction(Id message, Id user, std::string_view emoji, bool on, TimeMs at,
                                      int max_distinct) override {
    return fault(StoreCall::set_reaction).value_or_call([&] {
      return backend_->set_reaction(message, user, emoji, on, at, max_distinct);
    });
  }
  Result<std::vector<MessageRow>> changed_messages(Id conversation, Seq after_change, int limit) override {
    return fault(StoreCall::changed_messages).value_or_call([&] {
      return backend_->changed_messages(conversation, after_change, limit);
    });
  }
  Status set_muted(Id conversation, Id user, bool muted) override {
    return fault(StoreCall::set_muted).value_or_call([&] { return backend_->set_muted(conversation, user, muted); });
  }
  Result<std::vector<SearchHit>> search_messages(const SearchQuery& query) override {
    return fault(StoreCall::search_messages).value_or_call([&] { return backend_->search_messages(query); });
  }

  Status insert_attachment(const AttachmentRow& row, TimeMs quota_since, std::int64_t quota_bytes,
                           std::optional<JobRow> preview_job) override {
    return fault(StoreCall::insert_attachment).value_or_call([&] {
      return backend_->insert_attachment(row, quota_since, quota_bytes, std::move(preview_job));
    });
  }
  Result<std::optional<AttachmentRow>> attachment_by_id(Id id) override {
    return fault(StoreCall::attachment_by_id).value_or_call([&] { return backend_->attachment_by_id(id); });
  }
  Result<std::int64_t> uploaded_bytes_since(Id user, TimeMs since) override {
    return fault(StoreCall::uploaded_bytes_since).value_or_call([&] {
      return backend_->uploaded_bytes_since(user, since);
    });
  }
  Result<std::optional<MessageRow>> finish_preview(Id attachment, const AttachmentRow& outcome, Id job_id) override {
    return fault(StoreCall::finish_preview).value_or_call([&] {
      return backend_->finish_preview(attachment, outcome, job_id);
    });
  }
  Result<std::vector<AttachmentRow>> reclaimable_attachments(TimeMs unattached_before, int limit) override {
    return fault(StoreCall::reclaimable_attachments).value_or_call([&] {
      return backend_->reclaimable_attachments(unattached_before, limit);
    });
  }
  Status purge_attachments(const std::vector<Id>& ids) override {
    return fault(StoreCall::purge_attachments).value_or_call([&] { return backend_->purge_attachments(ids); });
  }
  Status enqueue_job(const JobRow& job) override {
    return fault(StoreCall::enqueue_job).value_or_call([&] { return backend_->enqueue_job(job); });
  }
  Result<std::optional<JobRow>> claim_job(const std::vector<std::string>& kinds, TimeMs now,
                                          TimeMs lease_until) override {
    return fault(StoreCall::claim_job).value_or_call([&] { return backend_->claim_job(kinds, now, lease_until); });
  }
  Status complete_job(Id job_id) override {
    return fault(StoreCall::complete_job).value_or_call([&] { return backend_->complete_job(job_id); });
  }
  Status retry_job(Id job_id, TimeMs run_after, std::string_view error) override {
    return fault(StoreCall::retry_job).value_or_call([&] { return backend_->retry_job(job_id, run_after, error); });
  }
  Status reschedule_job(Id job_id, TimeMs run_after) override {
    return fault(StoreCall::reschedule_job).value_or_call([&] { return backend_->reschedule_job(job_id, run_after); });
  }

 private:
  using Bits = std::bitset<store_call_count>;

  // The verdict on one call: an error to return, or nothing (forward it).
  struct Fault {
    std::optional<Error> error;
    AsyncFailure async_failure = AsyncFailure::after_commit;
    bool hold_append = false;  // hold_appends() was on when the call came

    // The error, or what `forward` returns (called only when not failed).
    template <class Forward>
    auto value_or_call(Forward forward) -> decltype(forward()) {
      if (error) return std::move(*error);
      return forward();
    }
  };

  static Bits to_bits(const std::vector<StoreCall>& calls) {
    Bits bits;
    for (StoreCall c : calls) bits.set(static_cast<std::size_t>(c));
    return bits;
  }

  Fault fault(StoreCall call) {
    const auto i = static_cast<std::size_t>(call);
    std::lock_guard lock(mu_);
    ++calls_[i];
    Fault f;
    f.async_failure = async_failure_;
    f.hold_append = hold_appends_;
    bool fail = always_.test(i);
    if (!fail && next_ > 0 && next_only_.test(i)) {
      --next_;
      fail = true;
    }
    if (fail) {
      ++injected_;
      f.error = Error::unavailable(std::string("injected fault: ") + store_call_name(call));
    }
    return f;
  }

  // Runs `fn` on the completion thread (started on first use).
  void complete_later(std::function<void()> fn) {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(fn));
    if (!completer_.joinable()) completer_ = std::thread([this] { run_completions(); });
    wake_.notify_one();
  }

  void run_completions() {
    std::unique_lock lock(mu_);
    while (true) {
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything delivered
      std::function<void()> fn = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      fn();  // outside the lock: `done` may look at calls() or injected()
      lock.lock();
    }
  }

  std::unique_ptr<Store> owned_;  // null when borrowed; destroyed after the thread stops
  Store* backend_;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  int next_ = 0;                                   // GUARDED_BY(mu_)
  Bits next_only_;                                 // GUARDED_BY(mu_)
  Bits always_;                                    // GUARDED_BY(mu_)
  AsyncFailure async_failure_ = AsyncFailure::after_commit;  // GUARDED_BY(mu_)
  std::int64_t calls_[store_call_count] = {};      // GUARDED_BY(mu_)
  std::int64_t injected_ = 0;                      // GUARDED_BY(mu_)
  bool hold_appends_ = false;                      // GUARDED_BY(mu_)
  std::vector<HeldAppend> held_;                   // GUARDED_BY(mu_)
  std::deque<std::function<void()>> queue_;        // GUARDED_BY(mu_)
  bool stopping_ = false;                          // GUARDED_BY(mu_)
  std::thread completer_;                          // started under mu_; joined by the destructor
};

}  // namespace parley::store::testing
