#pragma once
// PostgresStore: sends each append to the appender that owns its conversation
// (appender.hpp) and every other call to a pooled connection
// (connection_pool.hpp). open_postgres_store() builds it.
//
// Thread-safety: as Store (store.hpp). Ownership: owns the pool, the
// appenders and the search indexer (search_indexer.hpp, with the index on);
// the destructor stops the appenders (they store what is queued), then the
// indexer, before the pool closes.

#include <memory>
#include <vector>

#include "store/postgres/appender.hpp"
#include "store/postgres/connection_pool.hpp"
#include "store/postgres/search_indexer.hpp"
#include "store/postgres/write_counters.hpp"
#include "store/store.hpp"

namespace parley::store::postgres {

class PostgresStore final : public Store {
 public:
  // With search.enabled, a search indexer runs (on its own connection to
  // appender_options.conninfo), told of every commit.
  PostgresStore(std::unique_ptr<ConnectionPool> pool, AppenderOptions appender_options, int appenders,
                const SearchIndexOptions& search = {});
  ~PostgresStore() override;

  Status ping() override;
  StoreStats stats() const override { return counters_.snapshot(); }

  Status insert_user(const UserRow& user) override;
  Result<std::optional<UserRow>> user_by_id(Id id) override;
  Result<std::optional<UserRow>> user_by_login(std::string_view username_or_email) override;
  Result<std::vector<UserRow>> users_by_ids(const std::vector<Id>& ids) override;
  Result<std::vector<UserRow>> search_users(std::string_view query, Id exclude, int limit) override;
  Status set_last_seen(Id user, TimeMs at) override;
  Result<std::vector<Id>> contacts_of(Id user) override;

  Result<CreatedConversation> create_conversation(const ConversationRow& row,
                                                  const std::vector<MemberRow>& members) override;
  Result<std::optional<ConversationRow>> conversation_by_id(Id id) override;
  Result<std::optional<MemberRow>> membership(Id conversation, Id user) override;
  Result<std::vector<MemberView>> members_of(Id conversation) override;
  Result<std::vector<ConversationSummary>> conversations_of(Id user, std::optional<ActivityCursor> cursor,
                                                            int limit) override;
  Result<std::optional<ConversationSummary>> conversation_summary(Id conversation, Id user) override;
  Status update_conversation(Id conversation, const ConversationChange& change) override;

  Result<AppendResult> append_message(const MessageRow& draft) override;
  void append_message_async(MessageRow draft, std::function<void(Result<AppendResult>)> done) override;
  Result<std::optional<MessageRow>> message_by_id(Id id) override;
  Result<std::vector<MessageRow>> messages(Id conversation, std::optional<Seq> before, std::optional<Seq> after,
                                           int limit) override;
  Result<MessageRow> soft_delete_message(Id message, TimeMs at) override;
  Result<ReadState> advance_read(Id conversation, Id user, Seq seq) override;
  Result<std::int64_t> unread_count(Id conversation, Id user) override;
  Result<MessageRow> edit_message(Id message, std::string_view body, const std::vector<Id>& mentions,
                                  TimeMs at) override;
  Result<ReactionChange> set_reaction(Id message, Id user, std::string_view emoji, bool on, TimeMs at,
                                      int max_distinct) override;
  Result<std::vector<MessageRow>> changed_messages(Id conversation, Seq after_change, int limit) override;
  Status set_muted(Id conversation, Id user, bool muted) override;
  Result<std::vector<SearchHit>> search_messages(const SearchQuery& query) override;

  Status insert_attachment(const AttachmentRow& row, TimeMs quota_since, std::int64_t quota_bytes,
                           std::optional<JobRow> preview_job) override;
  Result<std::optional<AttachmentRow>> attachment_by_id(Id id) override;
  Result<std::int64_t> uploaded_bytes_since(Id user, TimeMs since) override;
  Result<std::optional<MessageRow>> finish_preview(Id attachment, const AttachmentRow& outcome, Id job_id) override;
  Result<std::vector<AttachmentRow>> reclaimable_attachments(TimeMs unattached_before, int limit) override;
  Status purge_attachments(const std::vector<Id>& ids) override;

  Status enqueue_job(const JobRow& job) override;
  Result<std::optional<JobRow>> claim_job(const std::vector<std::string>& kinds, TimeMs now,
                                          TimeMs lease_until) override;
  Status complete_job(Id job_id) override;
  Status retry_job(Id job_id, TimeMs run_after, std::string_view error) override;
  Status reschedule_job(Id job_id, TimeMs run_after) override;

 private:
  // Runs `fn(Connection&)` on a pooled connection. A read (`retry` true) that
  // met a connection which had silently died (server restart) is tried once
  // more on a fresh one; a write never is (it may have happened).
  template <class Fn>
  auto with_db(Fn fn, bool retry) -> decltype(fn(std::declval<Connection&>()));
  // with_db() for a write outside the appenders, counted in stats().
  template <class Fn>
  auto write(Fn fn, bool retry) -> decltype(fn(std::declval<Connection&>()));
  Appender& appender_for(Id conversation);
  // A write to `conversation` committed: the indexer (if any) catches it up.
  void indexed_changed(Id conversation);

  mutable WriteCounters counters_;
  std::unique_ptr<ConnectionPool> pool_;
  std::unique_ptr<SearchIndexer> indexer_;  // with the index on; outlives the appenders (on_commit)
  std::vector<std::unique_ptr<Appender>> appenders_;
  bool search_index_ = true;
  int search_barrier_ms_ = 1000;
};

}  // namespace parley::store::postgres
