#pragma once
// SqliteStore: Store over a Writer (all writes, group commit) and a ReaderPool
// (all reads). Each method is one query function (user_queries.hpp,
// conversation_queries.hpp, message_queries.hpp) run on the right connection.
//
// Reads return their failures (store.hpp): an I/O error, a busy or locked
// database, corruption or a full disk is ErrorKind::unavailable, a misuse of
// SQLite (a bug) internal (errors.hpp has the mapping). A failed read is also
// logged, naming the method, since the caller may only see a 503.
//
// append_message_async: when the write queue is full or the store is closing,
// `done` runs at once, on the caller's thread, with ErrorKind::unavailable.
//
// Thread-safety: as Store. Ownership: owns the search indexer (null when the
// index is off), the writer, the readers, the
// checkpointer (already attached to the writer's connection) and the writer's
// WriterStates (the Writer was built with it).

#include <memory>
#include <type_traits>

#include "store/sqlite/checkpointer.hpp"
#include "store/sqlite/conversation_seqs.hpp"
#include "store/sqlite/writer_states.hpp"
#include "store/sqlite/reader_pool.hpp"
#include "store/sqlite/search_indexer.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/sqlite/writer.hpp"
#include "store/store.hpp"

namespace parley::store::sqlite {

class SqliteStore final : public Store {
 public:
  // `indexer`: null when the search index is off.
  SqliteStore(SqliteOptions options, std::unique_ptr<SearchIndexer> indexer, std::unique_ptr<WriterStates> states, std::unique_ptr<Writer> writer,
              std::unique_ptr<ReaderPool> readers, std::unique_ptr<Checkpointer> checkpointer);
  ~SqliteStore() override;

  Status ping() override;
  StoreStats stats() const override;

  Status insert_user(const UserRow& user) override;
  Result<std::optional<UserRow>> user_by_id(Id id) override;
  Result<std::optional<UserRow>> user_by_login(std::string_view username_or_email) override;
  Result<std::vector<UserRow>> users_by_ids(const std::vector<Id>& ids) override;
  Result<std::vector<Id>> contacts_of(Id user) override;
  Result<std::vector<UserRow>> search_users(std::string_view query, Id exclude, int limit) override;
  Status set_last_seen(Id user, TimeMs at) override;

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
  Result<std::vector<MessageRow>> messages(Id conversation, std::optional<Seq> before,
                                           std::optional<Seq> after, int limit) override;
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

  // Jobs are writes, claims included: the writer thread serializes claims.
  Status enqueue_job(const JobRow& job) override;
  Result<std::optional<JobRow>> claim_job(const std::vector<std::string>& kinds, TimeMs now,
                                          TimeMs lease_until) override;
  Status complete_job(Id job_id) override;
  Status retry_job(Id job_id, TimeMs run_after, std::string_view error) override;
  Status reschedule_job(Id job_id, TimeMs run_after) override;

  // For tests and metrics.
  WriterStats writer_stats() const { return writer_->stats(); }
  std::size_t write_queue_depth() const { return writer_->queue_depth(); }
  CheckpointerStats checkpointer_stats() const { return checkpointer_->stats(); }
  // Submits an arbitrary job (tests use it to hold the writer or inject faults).
  bool submit_for_test(std::unique_ptr<WriteJob> job) { return writer_->submit(std::move(job), true); }
  // The writer's per-transaction seqs, for such jobs. Writer thread only.
  ConversationSeqs& seqs_for_test() { return states_->seqs(); }
  // The search indexer (null when the index is off), to pause it in tests.
  SearchIndexer* search_indexer_for_test() { return indexer_.get(); }

 private:
  // Runs `work` in the writer's next transaction and waits for the outcome.
  template <class T, class Work>
  Result<T> write(Work work);
  // Runs `work` on a reader and returns its Result as is (a failure is also
  // logged with `what`).
  template <class Work>
  std::invoke_result_t<Work&, Connection&> read(const char* what, Work work);

  SqliteOptions options_;
  std::unique_ptr<SearchIndexer> indexer_;  // null when the index is off; outlives states_ and writer_
  std::unique_ptr<WriterStates> states_;  // writer thread only; outlives writer_
  ConversationSeqs* seqs_;                // = &states_->seqs()
  std::unique_ptr<Writer> writer_;
  std::unique_ptr<ReaderPool> readers_;
  std::unique_ptr<Checkpointer> checkpointer_;
};

}  // namespace parley::store::sqlite
