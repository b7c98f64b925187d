#include "store/postgres/postgres_store_impl.hpp"

#include <chrono>
#include <future>
#include <thread>

#include "store/postgres/attachment_queries.hpp"
#include "store/postgres/conversation_queries.hpp"
#include "store/postgres/job_queries.hpp"
#include "store/postgres/message_queries.hpp"
#include "store/postgres/search_queries.hpp"
#include "store/postgres/user_queries.hpp"

namespace parley::store::postgres {

namespace {
const Statement ping_sql{"ping", "SELECT 1"};
}  // namespace

PostgresStore::PostgresStore(std::unique_ptr<ConnectionPool> pool, AppenderOptions appender_options, int appenders,
                             const SearchIndexOptions& search)
    : pool_(std::move(pool)), search_index_(search.enabled), search_barrier_ms_(search.barrier_ms) {
  if (search_index_) {
    SearchIndexerOptions indexer;
    indexer.conninfo = appender_options.conninfo;
    indexer.connect_timeout_s = appender_options.connect_timeout_s;
    indexer.write_count = [this] { return counters_.append_transactions.load(std::memory_order_relaxed); };
    indexer_ = std::make_unique<SearchIndexer>(std::move(indexer));
    appender_options.on_commit = [this](const std::vector<Id>& conversations) { indexer_->changed(conversations); };
  }
  for (int i = 0; i < std::max(1, appenders); ++i) {
    appenders_.push_back(std::make_unique<Appender>(appender_options, nullptr, counters_));
  }
}

void PostgresStore::indexed_changed(Id conversation) {
  if (indexer_) indexer_->changed(conversation);
}

PostgresStore::~PostgresStore() {
  appenders_.clear();  // stores what is queued, joins the threads (their on_commit calls the indexer)
  indexer_.reset();
  pool_.reset();
}

template <class Fn>
auto PostgresStore::with_db(Fn fn, bool retry) -> decltype(fn(std::declval<Connection&>())) {
  for (int attempt = 0;; ++attempt) {
    auto lease = pool_->acquire();
    if (!lease) return lease.error();
    auto out = fn(**lease);
    if (out.ok() || !retry || attempt > 0 || !(*lease)->broken()) return out;
  }
}

// A write outside the appenders is one statement in its own (implicit)
// transaction: its whole round trip, commit included, counts as commit time,
// since PostgreSQL does not report the commit apart.
template <class Fn>
auto PostgresStore::write(Fn fn, bool retry) -> decltype(fn(std::declval<Connection&>())) {
  const auto start = std::chrono::steady_clock::now();
  auto out = with_db(std::move(fn), retry);
  counters_.jobs.fetch_add(1, std::memory_order_relaxed);
  if (out.ok()) {
    const auto elapsed = std::chrono::steady_clock::now() - start;
    counters_.committed(1, static_cast<std::uint64_t>(std::chrono::nanoseconds(elapsed).count()));
  } else if (out.error().kind == ErrorKind::unavailable || out.error().kind == ErrorKind::internal) {
    counters_.failed_transactions.fetch_add(1, std::memory_order_relaxed);
  }
  return out;
}

Appender& PostgresStore::appender_for(Id conversation) {
  // Snowflake ids end in a per-node sequence: mix the bits before reducing.
  auto x = static_cast<std::uint64_t>(conversation);
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return *appenders_[x % appenders_.size()];
}

Status PostgresStore::ping() {
  return with_db(
      [](Connection& db) -> Status {
        auto r = db.run(ping_sql, Params{});
        if (!r) return r.error();
        return Status::success();
      },
      true);
}

Status PostgresStore::insert_user(const UserRow& user) {
  return write([&](Connection& db) { return postgres::insert_user(db, user); }, false);
}

Result<std::optional<UserRow>> PostgresStore::user_by_id(Id id) {
  return with_db([&](Connection& db) { return postgres::user_by_id(db, id); }, true);
}

Result<std::optional<UserRow>> PostgresStore::user_by_login(std::string_view username_or_email) {
  return with_db([&](Connection& db) { return postgres::user_by_login(db, username_or_email); }, true);
}

Result<std::vector<UserRow>> PostgresStore::users_by_ids(const std::vector<Id>& ids) {
  return with_db([&](Connection& db) { return postgres::users_by_ids(db, ids); }, true);
}

Result<std::vector<UserRow>> PostgresStore::search_users(std::string_view query, Id exclude, int limit) {
  return with_db([&](Connection& db) { return postgres::search_users(db, query, exclude, limit); }, true);
}

Status PostgresStore::set_last_seen(Id user, TimeMs at) {
  // Idempotent (keeps the later time): safe to retry on a fresh connection.
  return write([&](Connection& db) { return postgres::set_last_seen(db, user, at); }, true);
}

Result<std::vector<Id>> PostgresStore::contacts_of(Id user) {
  return with_db([&](Connection& db) { return postgres::contacts_of(db, user); }, true);
}

Result<CreatedConversation> PostgresStore::create_conversation(const ConversationRow& row,
                                                               const std::vector<MemberRow>& members) {
  return write([&](Connection& db) { return postgres::create_conversation(db, row, members); }, false);
}

Result<std::optional<ConversationRow>> PostgresStore::conversation_by_id(Id id) {
  return with_db([&](Connection& db) { return postgres::conversation_by_id(db, id); }, true);
}

Result<std::optional<MemberRow>> PostgresStore::membership(Id conversation, Id user) {
  return with_db([&](Connection& db) { return postgres::membership(db, conversation, user); }, true);
}

Result<std::vector<MemberView>> PostgresStore::members_of(Id conversation) {
  return with_db([&](Connection& db) { return postgres::members_of(db, conversation); }, true);
}

Result<std::vector<ConversationSummary>> PostgresStore::conversations_of(Id user,
                                                                         std::optional<ActivityCursor> cursor,
                                                                         int limit) {
  return with_db([&](Connection& db) { return postgres::conversations_of(db, user, cursor, limit); }, true);
}

Result<std::optional<ConversationSummary>> PostgresStore::conversation_summary(Id conversation, Id user) {
  return with_db([&](Connection& db) { return postgres::conversation_summary(db, conversation, user); }, true);
}

Status PostgresStore::update_conversation(Id conversation, const ConversationChange& change) {
  return write([&](Connection& db) { return postgres::update_conversation(db, conversation, change); }, false);
}

Result<AppendResult> PostgresStore::append_message(const MessageRow& draft) {
  std::promise<Result<AppendResult>> promise;
  auto future = promise.get_future();
  append_message_async(draft, [&promise](Result<AppendResult> r) { promise.set_value(std::move(r)); });
  return future.get();
}

void PostgresStore::append_message_async(MessageRow draft, std::function<void(Result<AppendResult>)> done) {
  Appender& appender = appender_for(draft.conversation_id);
  AppendJob job{std::move(draft), std::move(done)};
  if (!appender.submit(job)) {
    job.done(Error::unavailable("postgres store: the append queue is full or the store is closing"));
  }
}

Result<std::optional<MessageRow>> PostgresStore::message_by_id(Id id) {
  return with_db([&](Connection& db) { return postgres::message_by_id(db, id); }, true);
}

Result<std::vector<MessageRow>> PostgresStore::messages(Id conversation, std::optional<Seq> before,
                                                        std::optional<Seq> after, int limit) {
  return with_db([&](Connection& db) { return postgres::messages(db, conversation, before, after, limit); }, true);
}

Result<MessageRow> PostgresStore::soft_delete_message(Id message, TimeMs at) {
  // Idempotent (deleted_at is kept once set): safe to retry.
  auto out = write([&](Connection& db) { return postgres::soft_delete_message(db, message, at); }, true);
  if (out) indexed_changed(out->conversation_id);
  return out;
}

Result<ReadState> PostgresStore::advance_read(Id conversation, Id user, Seq seq) {
  // Idempotent (the watermark only moves forward): safe to retry.
  return write([&](Connection& db) { return postgres::advance_read(db, conversation, user, seq); }, true);
}

Result<std::int64_t> PostgresStore::unread_count(Id conversation, Id user) {
  return with_db([&](Connection& db) { return postgres::unread_count(db, conversation, user); }, true);
}

// ---- conversation features (docs/features.md)

Result<MessageRow> PostgresStore::edit_message(Id message, std::string_view body, const std::vector<Id>& mentions,
                                               TimeMs at) {
  // Not retried: an edit whose COMMIT was lost may have happened (a second
  // would take another change_seq).
  auto out = write([&](Connection& db) { return postgres::edit_message(db, message, body, mentions, at); }, false);
  if (out) indexed_changed(out->conversation_id);
  return out;
}

Result<ReactionChange> PostgresStore::set_reaction(Id message, Id user, std::string_view emoji, bool on, TimeMs at,
                                                   int max_distinct) {
  // Idempotent (a repeat changes nothing): safe to retry.
  auto out =
      write([&](Connection& db) { return postgres::set_reaction(db, message, user, emoji, on, at, max_distinct); },
            true);
  if (out && out->changed) indexed_changed(out->message.conversation_id);
  return out;
}

Result<std::vector<MessageRow>> PostgresStore::changed_messages(Id conversation, Seq after_change, int limit) {
  return with_db([&](Connection& db) { return postgres::changed_messages(db, conversation, after_change, limit); },
                 true);
}

Status PostgresStore::set_muted(Id conversation, Id user, bool muted) {
  return write([&](Connection& db) { return postgres::set_muted(db, conversation, user, muted); }, true);
}

Result<std::vector<SearchHit>> PostgresStore::search_messages(const SearchQuery& query) {
  if (!search_index_) {
    return Error{ErrorKind::unavailable, "search_disabled", "search is off on this server (--search-index off)"};
  }
  // Read-your-writes, bounded: the conversations searched are indexed up to
  // their change sequence as it is now (every write acknowledged before this
  // search), unless the indexers lag by more than the barrier (a send burst):
  // then the answer is what is indexed.
  auto targets = with_db([&](Connection& db) { return search_targets(db, query.user, query.conversation); }, true);
  if (!targets) return targets.error();
  if (!targets->conversations.empty()) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(search_barrier_ms_);
    indexer_->changed(targets->conversations);
    for (;;) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      auto short_of = with_db([&](Connection& db) { return search_index_short_of(db, *targets); }, true);
      if (!short_of) return short_of.error();
      if (!*short_of || std::chrono::steady_clock::now() >= deadline) break;
    }
  }
  return with_db([&](Connection& db) { return postgres::search_messages(db, query); }, true);
}

// ---- attachments

Status PostgresStore::insert_attachment(const AttachmentRow& row, TimeMs quota_since, std::int64_t quota_bytes,
                                        std::optional<JobRow> preview_job) {
  // Not retried: an insert whose COMMIT was lost may have happened.
  return write([&](Connection& db) { return postgres::insert_attachment(db, row, quota_since, quota_bytes, preview_job); },
               false);
}

Result<std::optional<AttachmentRow>> PostgresStore::attachment_by_id(Id id) {
  return with_db([&](Connection& db) { return postgres::attachment_by_id(db, id); }, true);
}

Result<std::int64_t> PostgresStore::uploaded_bytes_since(Id user, TimeMs since) {
  return with_db([&](Connection& db) { return postgres::uploaded_bytes_since(db, user, since); }, true);
}

Result<std::optional<MessageRow>> PostgresStore::finish_preview(Id attachment, const AttachmentRow& outcome,
                                                                Id job_id) {
  // Idempotent (the same outcome written again, the job already gone): safe to retry.
  return write([&](Connection& db) { return postgres::finish_preview(db, attachment, outcome, job_id); }, true);
}

Result<std::vector<AttachmentRow>> PostgresStore::reclaimable_attachments(TimeMs unattached_before, int limit) {
  return with_db([&](Connection& db) { return postgres::reclaimable_attachments(db, unattached_before, limit); },
                 true);
}

Status PostgresStore::purge_attachments(const std::vector<Id>& ids) {
  return write([&](Connection& db) { return postgres::purge_attachments(db, ids); }, true);
}

// ---- jobs

Status PostgresStore::enqueue_job(const JobRow& job) {
  // Idempotent (ON CONFLICT DO NOTHING on (kind, subject_id)): safe to retry.
  return write([&](Connection& db) { return postgres::enqueue_job(db, job); }, true);
}

Result<std::optional<JobRow>> PostgresStore::claim_job(const std::vector<std::string>& kinds, TimeMs now,
                                                       TimeMs lease_until) {
  // Not retried: a claim whose answer was lost leaves a lease that runs out.
  return write([&](Connection& db) { return postgres::claim_job(db, kinds, now, lease_until); }, false);
}

Status PostgresStore::complete_job(Id job_id) {
  return write([&](Connection& db) { return postgres::complete_job(db, job_id); }, true);
}

Status PostgresStore::retry_job(Id job_id, TimeMs run_after, std::string_view error) {
  return write([&](Connection& db) { return postgres::retry_job(db, job_id, run_after, error); }, true);
}

Status PostgresStore::reschedule_job(Id job_id, TimeMs run_after) {
  return write([&](Connection& db) { return postgres::reschedule_job(db, job_id, run_after); }, true);
}

}  // namespace parley::store::postgres
