#include "store/sqlite/sqlite_store_impl.hpp"

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <chrono>
#include <future>
#include <optional>
#include <utility>

#include "store/sqlite/attachment_queries.hpp"
#include "store/sqlite/conversation_queries.hpp"
#include "store/sqlite/feature_queries.hpp"
#include "store/sqlite/function_job.hpp"
#include "store/sqlite/job_queries.hpp"
#include "store/sqlite/message_queries.hpp"
#include "store/sqlite/search_index.hpp"
#include "store/sqlite/user_queries.hpp"

namespace parley::store::sqlite {

namespace {

Status to_status(const Result<std::monostate>& r) {
  if (r) return Status::success();
  return r.error();
}

Error closing() { return Error::unavailable("the store is closing or overloaded"); }

// One asynchronous append, as its own job type rather than a FunctionJob: one
// allocation per message (this object) instead of three (the job, the work
// function holding the draft, the shared callback), and the draft moves into
// the stored row instead of being copied.
class AppendJob final : public ResultJob<AppendResult> {
 public:
  // Completed without running only when the writer refused it (closing).
  AppendJob(ConversationSeqs& seqs, MessageRow draft, Done done)
      : ResultJob(std::move(done), closing()),
        seqs_(seqs),
        draft_(std::move(draft)),
        plain_(draft_.attachments.empty() && draft_.mentions.empty()) {}

  bool run(Connection& db) override {
    result_.emplace(sqlite::append_message(db, seqs_, std::move(draft_)));
    return result_->ok();
  }

  // Without attachments and mentions, append_message writes with one
  // single-row INSERT, the last thing that can fail: a failed append changed
  // nothing. Claiming attachments and inserting mention rows come after the INSERT and may fail: a savepoint.
  bool atomic() const override { return plain_; }

  // Appends to different conversations touch different rows, seqs and
  // idempotency keys (the clientMsgId key includes the conversation).
  std::int64_t commute_group() const override { return draft_.conversation_id; }

 private:
  ConversationSeqs& seqs_;
  MessageRow draft_;
  const bool plain_;  // no attachments, no mentions (read before run() moves the draft)
};

}  // namespace

SqliteStore::SqliteStore(SqliteOptions options, std::unique_ptr<SearchIndexer> indexer,
                         std::unique_ptr<WriterStates> states, std::unique_ptr<Writer> writer,
                         std::unique_ptr<ReaderPool> readers, std::unique_ptr<Checkpointer> checkpointer)
    : options_(std::move(options)),
      indexer_(std::move(indexer)),
      states_(std::move(states)),
      seqs_(&states_->seqs()),
      writer_(std::move(writer)),
      readers_(std::move(readers)),
      checkpointer_(std::move(checkpointer)) {}

SqliteStore::~SqliteStore() {
  writer_->stop();  // refuses new writes, commits the queued ones, joins the thread
  Connection* db = writer_->connection_after_stop();
  if (db != nullptr) checkpointer_->detach(*db);  // no commit can reach the hook any more
  checkpointer_->stop();  // waits for a checkpoint in progress, closes its connection
  readers_.reset();       // waits for reads in flight (there should be none), closes the readers
  // After the readers: its connection is then search.db's last one, and closing
  // it checkpoints search.db. Its batch in progress ends; the rest is redone at the next open.
  if (indexer_) indexer_->stop();
  if (db != nullptr) {
    int rc = db->exec("PRAGMA wal_checkpoint(TRUNCATE)");
    if (rc != SQLITE_OK) spdlog::warn("sqlite: final checkpoint of {} failed: {}", options_.path, sqlite3_errstr(rc));
  }
  writer_.reset();  // closes the write connection, the last one: SQLite removes the WAL
  spdlog::info("sqlite: closed {}", options_.path);
}

StoreStats SqliteStore::stats() const {
  const WriterStats w = writer_->stats();
  const CheckpointerStats c = checkpointer_->stats();
  StoreStats s;
  s.queued_writes = writer_->queue_depth();
  s.write_transactions = w.transactions;
  s.failed_write_transactions = w.failed_transactions;
  s.write_jobs = w.jobs;
  s.largest_write_batch = w.largest_batch;
  s.commit_seconds = w.commit_seconds;
  s.checkpoints = c.passive + c.on_writer + c.restart;
  s.checkpoint_pages = c.frames_copied;
  s.wal_pages = c.wal_pages;
  return s;
}

template <class T, class Work>
Result<T> SqliteStore::write(Work work) {
  // The job co-owns the promise: set_value() may still be returning on the
  // writer thread when this thread wakes up and leaves.
  auto promise = std::make_shared<std::promise<Result<T>>>();
  std::future<Result<T>> future = promise->get_future();
  auto job = make_job<T>(std::move(work), [promise](Result<T> r) { promise->set_value(std::move(r)); });
  if (!writer_->submit(std::move(job), true)) return closing();
  return future.get();
}

template <class Work>
std::invoke_result_t<Work&, Connection&> SqliteStore::read(const char* what, Work work) {
  ReaderPool::Lease db = readers_->acquire();
  std::invoke_result_t<Work&, Connection&> result = work(*db);  // returned as is: no copy (NRVO)
  if (!result) spdlog::error("sqlite: {} failed: {}", what, result.error().message);
  return result;
}

Status SqliteStore::ping() {
  if (writer_->stopped()) return closing();
  ReaderPool::Lease db = readers_->acquire();
  auto one = db->query_int("SELECT 1");
  if (!one) return one.error();
  return Status::success();
}

// ---- users

Status SqliteStore::insert_user(const UserRow& user) {
  return to_status(write<std::monostate>([&](Connection& db) { return sqlite::insert_user(db, user); }));
}

Result<std::optional<UserRow>> SqliteStore::user_by_id(Id id) {
  return read("user_by_id", [&](Connection& db) { return sqlite::user_by_id(db, id); });
}

Result<std::optional<UserRow>> SqliteStore::user_by_login(std::string_view username_or_email) {
  return read("user_by_login", [&](Connection& db) { return sqlite::user_by_login(db, username_or_email); });
}

Result<std::vector<UserRow>> SqliteStore::users_by_ids(const std::vector<Id>& ids) {
  return read("users_by_ids", [&](Connection& db) { return sqlite::users_by_ids(db, ids); });
}

Result<std::vector<Id>> SqliteStore::contacts_of(Id user) {
  return read("contacts_of", [&](Connection& db) { return sqlite::contacts_of(db, user); });
}

Result<std::vector<UserRow>> SqliteStore::search_users(std::string_view query, Id exclude, int limit) {
  return read("search_users", [&](Connection& db) { return sqlite::search_users(db, query, exclude, limit); });
}

Status SqliteStore::set_last_seen(Id user, TimeMs at) {
  return to_status(write<std::monostate>([&](Connection& db) { return sqlite::set_last_seen(db, user, at); }));
}

// ---- conversations

Result<CreatedConversation> SqliteStore::create_conversation(const ConversationRow& row,
                                                             const std::vector<MemberRow>& members) {
  return write<CreatedConversation>(
      [&](Connection& db) { return sqlite::create_conversation(db, row, members); });
}

Result<std::optional<ConversationRow>> SqliteStore::conversation_by_id(Id id) {
  return read("conversation_by_id", [&](Connection& db) { return sqlite::conversation_by_id(db, id); });
}

Result<std::optional<MemberRow>> SqliteStore::membership(Id conversation, Id user) {
  return read("membership", [&](Connection& db) { return sqlite::membership(db, conversation, user); });
}

Result<std::vector<MemberView>> SqliteStore::members_of(Id conversation) {
  return read("members_of", [&](Connection& db) { return sqlite::members_of(db, conversation); });
}

Result<std::vector<ConversationSummary>> SqliteStore::conversations_of(Id user,
                                                                       std::optional<ActivityCursor> cursor,
                                                                       int limit) {
  return read("conversations_of",
              [&](Connection& db) { return sqlite::conversations_of(db, user, cursor, limit); });
}

Result<std::optional<ConversationSummary>> SqliteStore::conversation_summary(Id conversation, Id user) {
  return read("conversation_summary",
              [&](Connection& db) { return sqlite::conversation_summary(db, conversation, user); });
}

Status SqliteStore::update_conversation(Id conversation, const ConversationChange& change) {
  return to_status(write<std::monostate>(
      [&](Connection& db) { return sqlite::update_conversation(db, conversation, change); }));
}

// ---- messages

Result<AppendResult> SqliteStore::append_message(const MessageRow& draft) {
  return write<AppendResult>([&](Connection& db) { return sqlite::append_message(db, *seqs_, draft); });
}

void SqliteStore::append_message_async(MessageRow draft, std::function<void(Result<AppendResult>)> done) {
  std::unique_ptr<WriteJob> job = std::make_unique<AppendJob>(*seqs_, std::move(draft), std::move(done));
  if (!writer_->submit(std::move(job), false)) job->complete(nullptr);  // refused: never ran
}

Result<std::optional<MessageRow>> SqliteStore::message_by_id(Id id) {
  return read("message_by_id", [&](Connection& db) { return sqlite::message_by_id(db, id); });
}

Result<std::vector<MessageRow>> SqliteStore::messages(Id conversation, std::optional<Seq> before,
                                                      std::optional<Seq> after, int limit) {
  return read("messages", [&](Connection& db) { return sqlite::messages(db, conversation, before, after, limit); });
}

Result<MessageRow> SqliteStore::soft_delete_message(Id message, TimeMs at) {
  return write<MessageRow>([&](Connection& db) { return sqlite::soft_delete_message(db, *seqs_, message, at); });
}

Result<ReadState> SqliteStore::advance_read(Id conversation, Id user, Seq seq) {
  return write<ReadState>([&](Connection& db) { return sqlite::advance_read(db, *seqs_, conversation, user, seq); });
}

Result<std::int64_t> SqliteStore::unread_count(Id conversation, Id user) {
  return read("unread_count", [&](Connection& db) { return sqlite::unread_count(db, conversation, user); });
}

// ---- conversation features (docs/features.md)

Result<MessageRow> SqliteStore::edit_message(Id message, std::string_view body, const std::vector<Id>& mentions,
                                             TimeMs at) {
  return write<MessageRow>(
      [&](Connection& db) { return sqlite::edit_message(db, *seqs_, message, body, mentions, at); });
}

Result<ReactionChange> SqliteStore::set_reaction(Id message, Id user, std::string_view emoji, bool on, TimeMs at,
                                                 int max_distinct) {
  return write<ReactionChange>([&](Connection& db) {
    return sqlite::set_reaction(db, *seqs_, message, user, emoji, on, at, max_distinct);
  });
}

Result<std::vector<MessageRow>> SqliteStore::changed_messages(Id conversation, Seq after_change, int limit) {
  return read("changed_messages",
              [&](Connection& db) { return sqlite::changed_messages(db, conversation, after_change, limit); });
}

Status SqliteStore::set_muted(Id conversation, Id user, bool muted) {
  return to_status(
      write<std::monostate>([&](Connection& db) { return sqlite::set_muted(db, conversation, user, muted); }));
}

Result<std::vector<SearchHit>> SqliteStore::search_messages(const SearchQuery& query) {
  if (!options_.search.enabled) {
    return Error{ErrorKind::unavailable, "search_disabled", "message search is off (--search-index off)"};
  }
  // Read-your-writes, bounded: on timeout (the indexer lags under overload)
  // the answer is what is indexed; deletions are filtered by parley.db anyway.
  if (indexer_ && !indexer_->wait_caught_up(std::chrono::milliseconds(options_.search.barrier_ms))) {
    spdlog::debug("sqlite: search: the index lags; answering from what is indexed");
  }
  return read("search_messages", [&](Connection& db) { return sqlite::search_messages(db, query); });
}

// ---- attachments

Status SqliteStore::insert_attachment(const AttachmentRow& row, TimeMs quota_since, std::int64_t quota_bytes,
                                      std::optional<JobRow> preview_job) {
  return to_status(write<std::monostate>([&](Connection& db) {
    return sqlite::insert_attachment(db, row, quota_since, quota_bytes, preview_job);
  }));
}

Result<std::optional<AttachmentRow>> SqliteStore::attachment_by_id(Id id) {
  return read("attachment_by_id", [&](Connection& db) { return sqlite::attachment_by_id(db, id); });
}

Result<std::int64_t> SqliteStore::uploaded_bytes_since(Id user, TimeMs since) {
  return read("uploaded_bytes_since", [&](Connection& db) { return sqlite::uploaded_bytes_since(db, user, since); });
}

Result<std::optional<MessageRow>> SqliteStore::finish_preview(Id attachment, const AttachmentRow& outcome,
                                                              Id job_id) {
  return write<std::optional<MessageRow>>(
      [&](Connection& db) { return sqlite::finish_preview(db, attachment, outcome, job_id); });
}

Result<std::vector<AttachmentRow>> SqliteStore::reclaimable_attachments(TimeMs unattached_before, int limit) {
  return read("reclaimable_attachments",
              [&](Connection& db) { return sqlite::reclaimable_attachments(db, unattached_before, limit); });
}

Status SqliteStore::purge_attachments(const std::vector<Id>& ids) {
  return to_status(write<std::monostate>([&](Connection& db) { return sqlite::purge_attachments(db, ids); }));
}

// ---- jobs

Status SqliteStore::enqueue_job(const JobRow& job) {
  return to_status(write<std::monostate>([&](Connection& db) { return sqlite::enqueue_job(db, job); }));
}

Result<std::optional<JobRow>> SqliteStore::claim_job(const std::vector<std::string>& kinds, TimeMs now,
                                                     TimeMs lease_until) {
  return write<std::optional<JobRow>>(
      [&](Connection& db) { return sqlite::claim_job(db, kinds, now, lease_until); });
}

Status SqliteStore::complete_job(Id job_id) {
  return to_status(write<std::monostate>([&](Connection& db) { return sqlite::complete_job(db, job_id); }));
}

Status SqliteStore::retry_job(Id job_id, TimeMs run_after, std::string_view error) {
  return to_status(
      write<std::monostate>([&](Connection& db) { return sqlite::retry_job(db, job_id, run_after, error); }));
}

Status SqliteStore::reschedule_job(Id job_id, TimeMs run_after) {
  return to_status(
      write<std::monostate>([&](Connection& db) { return sqlite::reschedule_job(db, job_id, run_after); }));
}

}  // namespace parley::store::sqlite
