#pragma once
// ReplicaRoutingStore: `--store-replica postgres://...`. A Store decorator
// that sends the history and list reads that a streaming replica can answer
// to that replica, when the replica is fresh enough for the request, and every
// other call (all writes, and the reads that decide permissions) to the
// primary Store it wraps. The chat layer does not know it is there.
//
// Freshness rules (docs/replicas.md):
//   messages(): the replica answers a page that lies wholly below `before`
//     when its conversations.last_seq reaches before - 1 (scrolling back
//     through history: no primary read; a change to those messages may show
//     as late as the replica lags, as deletions always could). Any other
//     page only if the replica's last_change_seq reaches the primary's: every
//     change (send, edit, reaction, deletion) committed before the request
//     began is then on the replica. The replica's row is read first, the
//     primary's after, so a client never misses its own acknowledged message
//     or change, nor anyone's.
//   conversations_of(): the replica answers only if it has replayed the
//     primary's WAL flush position, read at the start of the request
//     (pg_current_wal_flush_lsn() <= pg_last_wal_replay_lsn()): every commit
//     acknowledged before the request is visible.
// Otherwise, and whenever the replica fails, is too slow (a deadline per call,
// QueryWatchdog) or has no free connection, the primary answers. After a
// failure the replica is skipped for `skip_after_failure_ms`; then one request
// tries it again while the others keep going to the primary, so a replica that
// is down costs no request more than one failed try per period.
//
// Thread-safety: as Store (store.hpp). Ownership: owns the primary Store, the
// replica's connections and a small pool of primary connections used for WAL
// positions; destroy it as the primary Store would be destroyed.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "store/postgres/connection_pool.hpp"
#include "store/postgres/query_watchdog.hpp"
#include "store/store.hpp"

namespace parley::store {

struct ReplicaRoutingOptions {
  std::string replica_url;           // the streaming replica (hot standby)
  std::string primary_url;           // the primary, for its WAL flush position
  int pool_size = 4;                 // replica connections
  int acquire_timeout_ms = 20;       // all busy for this long: ask the primary
  int connect_timeout_s = 2;         // per replica connection attempt (libpq's minimum)
  int query_timeout_ms = 500;        // a replica call slower than this is cut off
  int skip_after_failure_ms = 1000;  // after a failure, the replica rests this long
};

// Why each routed read went where it went, since open.
struct ReplicaRoutingStats {
  std::uint64_t replica_reads = 0;       // answered by the replica
  std::uint64_t primary_not_fresh = 0;   // the replica had not replayed what the request needs
  std::uint64_t primary_unavailable = 0; // the replica failed, was too slow, busy or resting
};

// Wraps `primary`. Never fails because of the replica: a replica that is down
// at start is tried again later, as after any failure.
std::unique_ptr<Store> open_replica_routing_store(std::unique_ptr<Store> primary,
                                                  const ReplicaRoutingOptions& options);

}  // namespace parley::store

namespace parley::store::postgres {

class ReplicaRoutingStore final : public Store {
 public:
  ReplicaRoutingStore(std::unique_ptr<Store> primary, const ReplicaRoutingOptions& options);
  ~ReplicaRoutingStore() override;

  ReplicaRoutingStats routing_stats() const;

  // Routed (see above).
  Result<std::vector<MessageRow>> messages(Id conversation, std::optional<Seq> before, std::optional<Seq> after,
                                           int limit) override;
  Result<std::vector<ConversationSummary>> conversations_of(Id user, std::optional<ActivityCursor> cursor,
                                                            int limit) override;

  // Everything else: the primary.
  Status ping() override { return primary_->ping(); }
  // The primary's, with the routing counts.
  StoreStats stats() const override;
  Status insert_user(const UserRow& user) override { return primary_->insert_user(user); }
  Result<std::optional<UserRow>> user_by_id(Id id) override { return primary_->user_by_id(id); }
  Result<std::optional<UserRow>> user_by_login(std::string_view login) override {
    return primary_->user_by_login(login);
  }
  Result<std::vector<UserRow>> users_by_ids(const std::vector<Id>& ids) override { return primary_->users_by_ids(ids); }
  Result<std::vector<UserRow>> search_users(std::string_view query, Id exclude, int limit) override {
    return primary_->search_users(query, exclude, limit);
  }
  Status set_last_seen(Id user, TimeMs at) override { return primary_->set_last_seen(user, at); }
  Result<std::vector<Id>> contacts_of(Id user) override { return primary_->contacts_of(user); }
  Result<CreatedConversation> create_conversation(const ConversationRow& row,
                                                  const std::vector<MemberRow>& members) override {
    return primary_->create_conversation(row, members);
  }
  Result<std::optional<ConversationRow>> conversation_by_id(Id id) override { return primary_->conversation_by_id(id); }
  Result<std::optional<MemberRow>> membership(Id conversation, Id user) override {
    return primary_->membership(conversation, user);
  }
  Result<std::vector<MemberView>> members_of(Id conversation) override { return primary_->members_of(conversation); }
  Result<std::optional<ConversationSummary>> conversation_summary(Id conversation, Id user) override {
    return primary_->conversation_summary(conversation, user);
  }
  Status update_conversation(Id conversation, const ConversationChange& change) override {
    return primary_->update_conversation(conversation, change);
  }
  Result<AppendResult> append_message(const MessageRow& draft) override { return primary_->append_message(draft); }
  void append_message_async(MessageRow draft, std::function<void(Result<AppendResult>)> done) override {
    primary_->append_message_async(std::move(draft), std::move(done));
  }
  Result<std::optional<MessageRow>> message_by_id(Id id) override { return primary_->message_by_id(id); }
  Result<MessageRow> soft_delete_message(Id message, TimeMs at) override {
    return primary_->soft_delete_message(message, at);
  }
  Result<ReadState> advance_read(Id conversation, Id user, Seq seq) override {
    return primary_->advance_read(conversation, user, seq);
  }
  Result<std::int64_t> unread_count(Id conversation, Id user) override {
    return primary_->unread_count(conversation, user);
  }
  // The features' writes and reads go to the primary: a client catching up
  // with changedAfter must not miss a change the replica has not replayed, and
  // search is rare enough not to need the replica.
  Result<MessageRow> edit_message(Id message, std::string_view body, const std::vector<Id>& mentions,
                                  TimeMs at) override {
    return primary_->edit_message(message, body, mentions, at);
  }
  Result<ReactionChange> set_reaction(Id message, Id user, std::string_view emoji, bool on, TimeMs at,
                                      int max_distinct) override {
    return primary_->set_reaction(message, user, emoji, on, at, max_distinct);
  }
  Result<std::vector<MessageRow>> changed_messages(Id conversation, Seq after_change, int limit) override {
    return primary_->changed_messages(conversation, after_change, limit);
  }
  Status set_muted(Id conversation, Id user, bool muted) override { return primary_->set_muted(conversation, user, muted); }
  Result<std::vector<SearchHit>> search_messages(const SearchQuery& query) override {
    return primary_->search_messages(query);
  }
  // Attachments decide access (deleted, whose conversation) and jobs are
  // writes and claims: all on the primary.
  Status insert_attachment(const AttachmentRow& row, TimeMs quota_since, std::int64_t quota_bytes,
                           std::optional<JobRow> preview_job) override {
    return primary_->insert_attachment(row, quota_since, quota_bytes, std::move(preview_job));
  }
  Result<std::optional<AttachmentRow>> attachment_by_id(Id id) override { return primary_->attachment_by_id(id); }
  Result<std::int64_t> uploaded_bytes_since(Id user, TimeMs since) override {
    return primary_->uploaded_bytes_since(user, since);
  }
  Result<std::optional<MessageRow>> finish_preview(Id attachment, const AttachmentRow& outcome, Id job_id) override {
    return primary_->finish_preview(attachment, outcome, job_id);
  }
  Result<std::vector<AttachmentRow>> reclaimable_attachments(TimeMs unattached_before, int limit) override {
    return primary_->reclaimable_attachments(unattached_before, limit);
  }
  Status purge_attachments(const std::vector<Id>& ids) override { return primary_->purge_attachments(ids); }
  Status enqueue_job(const JobRow& job) override { return primary_->enqueue_job(job); }
  Result<std::optional<JobRow>> claim_job(const std::vector<std::string>& kinds, TimeMs now,
                                          TimeMs lease_until) override {
    return primary_->claim_job(kinds, now, lease_until);
  }
  Status complete_job(Id job_id) override { return primary_->complete_job(job_id); }
  Status retry_job(Id job_id, TimeMs run_after, std::string_view error) override {
    return primary_->retry_job(job_id, run_after, error);
  }
  Status reschedule_job(Id job_id, TimeMs run_after) override { return primary_->reschedule_job(job_id, run_after); }

 private:
  using Clock = std::chrono::steady_clock;
  // A replica connection, or nothing (resting, busy, unreachable: counted).
  std::optional<ConnectionPool::Lease> replica_lease();
  // Runs `fn` on the replica under the deadline; a failure rests the replica.
  template <class Fn>
  auto on_replica(ConnectionPool::Lease& lease, Fn fn) -> decltype(fn(std::declval<Connection&>()));
  void rest();
  void healthy();

  std::unique_ptr<Store> primary_;
  const ReplicaRoutingOptions options_;
  QueryWatchdog watchdog_;  // before the pools: outlives every guard
  std::unique_ptr<ConnectionPool> replica_;
  std::unique_ptr<ConnectionPool> primary_positions_;
  // Clock ticks until which the replica rests; 0: healthy.
  std::atomic<std::int64_t> rest_until_{0};
  std::atomic<std::uint64_t> replica_reads_{0};
  std::atomic<std::uint64_t> primary_not_fresh_{0};
  std::atomic<std::uint64_t> primary_unavailable_{0};
};

}  // namespace parley::store::postgres
