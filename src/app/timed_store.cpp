#include "app/timed_store.hpp"

#include <chrono>

#include <spdlog/spdlog.h>

#include "common/trace_context.hpp"

namespace parley::app {

namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr const char* kNames[] = {
    "ping", "insert_user", "user_by_id", "user_by_login", "users_by_ids", "search_users", "set_last_seen",
    "contacts_of", "create_conversation", "conversation_by_id", "membership", "members_of", "conversations_of",
    "conversation_summary", "update_conversation", "append_message", "message_by_id", "messages",
    "soft_delete_message", "advance_read", "unread_count", "insert_attachment", "attachment_by_id",
    "uploaded_bytes_since", "finish_preview", "reclaimable_attachments", "purge_attachments", "enqueue_job",
    "claim_job", "complete_job", "retry_job", "reschedule_job", "edit_message", "set_reaction", "changed_messages",
    "set_muted", "search_messages"};

double seconds_since(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

}  // namespace

TimedStore::TimedStore(std::unique_ptr<store::Store> inner, metrics::Registry& registry) : inner_(std::move(inner)) {
  static_assert(std::size(kNames) == op_count_);
  for (std::size_t op = 0; op < op_count_; ++op)
    latency_[op] = registry.add_histogram("parley_store_operation_seconds",
                                          "Time of each store call (an async append: submit to completion), by operation",
                                          metrics::latency_buckets(), metrics::label("operation", kNames[op]));
}

// The histogram, and the slow-operation log (--slow-ms): a store call slower
// than the threshold is logged once, with the trace of the request or event it
// serves when the calling thread has one (the log pattern adds it).
static void observe(metrics::Histogram& histogram, const char* operation, SteadyClock::time_point start) {
  const double seconds = seconds_since(start);
  histogram.observe(seconds);
  const auto threshold = trace::slow_threshold_ms();
  if (threshold > 0 && seconds * 1000 >= double(threshold))
    spdlog::warn("slow store operation: {} took {:.1f} ms (store={:.1f}ms)", operation, seconds * 1000,
                 seconds * 1000);
}

template <class F>
auto TimedStore::timed(Op op, F&& call) {
  const auto start = SteadyClock::now();
  auto result = call();
  observe(*latency_[op], kNames[op], start);
  return result;
}

Status TimedStore::ping() { return timed(ping_, [&] { return inner_->ping(); }); }

Status TimedStore::insert_user(const store::UserRow& user) {
  return timed(insert_user_, [&] { return inner_->insert_user(user); });
}
Result<std::optional<store::UserRow>> TimedStore::user_by_id(Id id) {
  return timed(user_by_id_, [&] { return inner_->user_by_id(id); });
}
Result<std::optional<store::UserRow>> TimedStore::user_by_login(std::string_view username_or_email) {
  return timed(user_by_login_, [&] { return inner_->user_by_login(username_or_email); });
}
Result<std::vector<store::UserRow>> TimedStore::users_by_ids(const std::vector<Id>& ids) {
  return timed(users_by_ids_, [&] { return inner_->users_by_ids(ids); });
}
Result<std::vector<store::UserRow>> TimedStore::search_users(std::string_view query, Id exclude, int limit) {
  return timed(search_users_, [&] { return inner_->search_users(query, exclude, limit); });
}
Status TimedStore::set_last_seen(Id user, TimeMs at) {
  return timed(set_last_seen_, [&] { return inner_->set_last_seen(user, at); });
}
Result<std::vector<Id>> TimedStore::contacts_of(Id user) {
  return timed(contacts_of_, [&] { return inner_->contacts_of(user); });
}

Result<store::CreatedConversation> TimedStore::create_conversation(const store::ConversationRow& row,
                                                                   const std::vector<store::MemberRow>& members) {
  return timed(create_conversation_, [&] { return inner_->create_conversation(row, members); });
}
Result<std::optional<store::ConversationRow>> TimedStore::conversation_by_id(Id id) {
  return timed(conversation_by_id_, [&] { return inner_->conversation_by_id(id); });
}
Result<std::optional<store::MemberRow>> TimedStore::membership(Id conversation, Id user) {
  return timed(membership_, [&] { return inner_->membership(conversation, user); });
}
Result<std::vector<store::MemberView>> TimedStore::members_of(Id conversation) {
  return timed(members_of_, [&] { return inner_->members_of(conversation); });
}
Result<std::vector<store::ConversationSummary>> TimedStore::conversations_of(
    Id user, std::optional<store::ActivityCursor> cursor, int limit) {
  return timed(conversations_of_, [&] { return inner_->conversations_of(user, cursor, limit); });
}
Result<std::optional<store::ConversationSummary>> TimedStore::conversation_summary(Id conversation, Id user) {
  return timed(conversation_summary_, [&] { return inner_->conversation_summary(conversation, user); });
}
Status TimedStore::update_conversation(Id conversation, const store::ConversationChange& change) {
  return timed(update_conversation_, [&] { return inner_->update_conversation(conversation, change); });
}

Result<store::AppendResult> TimedStore::append_message(const store::MessageRow& draft) {
  return timed(append_message_, [&] { return inner_->append_message(draft); });
}
void TimedStore::append_message_async(store::MessageRow draft,
                                      std::function<void(Result<store::AppendResult>)> done) {
  inner_->append_message_async(
      std::move(draft), [done = std::move(done), histogram = latency_[append_message_],
                         start = SteadyClock::now()](Result<store::AppendResult> result) {
        observe(*histogram, kNames[append_message_], start);
        done(std::move(result));
      });
}
Result<std::optional<store::MessageRow>> TimedStore::message_by_id(Id id) {
  return timed(message_by_id_, [&] { return inner_->message_by_id(id); });
}
Result<std::vector<store::MessageRow>> TimedStore::messages(Id conversation, std::optional<store::Seq> before,
                                                            std::optional<store::Seq> after, int limit) {
  return timed(messages_, [&] { return inner_->messages(conversation, before, after, limit); });
}
Result<store::MessageRow> TimedStore::soft_delete_message(Id message, TimeMs at) {
  return timed(soft_delete_message_, [&] { return inner_->soft_delete_message(message, at); });
}
Result<store::ReadState> TimedStore::advance_read(Id conversation, Id user, store::Seq seq) {
  return timed(advance_read_, [&] { return inner_->advance_read(conversation, user, seq); });
}
Result<std::int64_t> TimedStore::unread_count(Id conversation, Id user) {
  return timed(unread_count_, [&] { return inner_->unread_count(conversation, user); });
}

Result<store::MessageRow> TimedStore::edit_message(Id message, std::string_view body, const std::vector<Id>& mentions,
                                                  TimeMs at) {
  return timed(edit_message_, [&] { return inner_->edit_message(message, body, mentions, at); });
}
Result<store::ReactionChange> TimedStore::set_reaction(Id message, Id user, std::string_view emoji, bool on, TimeMs at,
                                                       int max_distinct) {
  return timed(set_reaction_, [&] { return inner_->set_reaction(message, user, emoji, on, at, max_distinct); });
}
Result<std::vector<store::MessageRow>> TimedStore::changed_messages(Id conversation, store::Seq after_change,
                                                                    int limit) {
  return timed(changed_messages_, [&] { return inner_->changed_messages(conversation, after_change, limit); });
}
Status TimedStore::set_muted(Id conversation, Id user, bool muted) {
  return timed(set_muted_, [&] { return inner_->set_muted(conversation, user, muted); });
}
Result<std::vector<store::SearchHit>> TimedStore::search_messages(const store::SearchQuery& query) {
  return timed(search_messages_, [&] { return inner_->search_messages(query); });
}

Status TimedStore::insert_attachment(const store::AttachmentRow& row, TimeMs quota_since, std::int64_t quota_bytes,
                                     std::optional<store::JobRow> preview_job) {
  return timed(insert_attachment_,
               [&] { return inner_->insert_attachment(row, quota_since, quota_bytes, std::move(preview_job)); });
}

Result<std::optional<store::AttachmentRow>> TimedStore::attachment_by_id(Id id) {
  return timed(attachment_by_id_, [&] { return inner_->attachment_by_id(id); });
}

Result<std::int64_t> TimedStore::uploaded_bytes_since(Id user, TimeMs since) {
  return timed(uploaded_bytes_since_, [&] { return inner_->uploaded_bytes_since(user, since); });
}

Result<std::optional<store::MessageRow>> TimedStore::finish_preview(Id attachment, const store::AttachmentRow& outcome,
                                                                    Id job_id) {
  return timed(finish_preview_, [&] { return inner_->finish_preview(attachment, outcome, job_id); });
}

Result<std::vector<store::AttachmentRow>> TimedStore::reclaimable_attachments(TimeMs unattached_before, int limit) {
  return timed(reclaimable_attachments_, [&] { return inner_->reclaimable_attachments(unattached_before, limit); });
}

Status TimedStore::purge_attachments(const std::vector<Id>& ids) {
  return timed(purge_attachments_, [&] { return inner_->purge_attachments(ids); });
}

Status TimedStore::enqueue_job(const store::JobRow& job) {
  return timed(enqueue_job_, [&] { return inner_->enqueue_job(job); });
}

Result<std::optional<store::JobRow>> TimedStore::claim_job(const std::vector<std::string>& kinds, TimeMs now,
                                                           TimeMs lease_until) {
  return timed(claim_job_, [&] { return inner_->claim_job(kinds, now, lease_until); });
}

Status TimedStore::complete_job(Id job_id) {
  return timed(complete_job_, [&] { return inner_->complete_job(job_id); });
}

Status TimedStore::retry_job(Id job_id, TimeMs run_after, std::string_view error) {
  return timed(retry_job_, [&] { return inner_->retry_job(job_id, run_after, error); });
}

Status TimedStore::reschedule_job(Id job_id, TimeMs run_after) {
  return timed(reschedule_job_, [&] { return inner_->reschedule_job(job_id, run_after); });
}

}  // namespace parley::app
