#pragma once
// A Store that times every call of the one it wraps, for /metrics:
// parley_store_operation_seconds{operation="<method>"} (histogram). The label
// is the method's name, a fixed set; an async append is timed from its submit
// to its `done` (queueing and group commit included). Everything else is the
// wrapped store's behaviour, unchanged.
//
// Thread-safety: as Store (every method from any thread); the histograms are
// atomics. Ownership: owns the wrapped store; the registry owns the histograms
// and must outlive every call. A new Store method needs its forwarder here
// (the class does not compile without it).

#include <array>
#include <memory>

#include "metrics/registry.hpp"
#include "store/store.hpp"

namespace parley::app {

class TimedStore final : public store::Store {
 public:
  TimedStore(std::unique_ptr<store::Store> inner, metrics::Registry& registry);

  Status ping() override;
  store::StoreStats stats() const override { return inner_->stats(); }

  Status insert_user(const store::UserRow& user) override;
  Result<std::optional<store::UserRow>> user_by_id(Id id) override;
  Result<std::optional<store::UserRow>> user_by_login(std::string_view username_or_email) override;
  Result<std::vector<store::UserRow>> users_by_ids(const std::vector<Id>& ids) override;
  Result<std::vector<store::UserRow>> search_users(std::string_view query, Id exclude, int limit) override;
  Status set_last_seen(Id user, TimeMs at) override;
  Result<std::vector<Id>> contacts_of(Id user) override;

  Result<store::CreatedConversation> create_conversation(const store::ConversationRow& row,
                                                         const std::vector<store::MemberRow>& members) override;
  Result<std::optional<store::ConversationRow>> conversation_by_id(Id id) override;
  Result<std::optional<store::MemberRow>> membership(Id conversation, Id user) override;
  Result<std::vector<store::MemberView>> members_of(Id conversation) override;
  Result<std::vector<store::ConversationSummary>> conversations_of(Id user, std::optional<store::ActivityCursor> cursor,
                                                                   int limit) override;
  Result<std::optional<store::ConversationSummary>> conversation_summary(Id conversation, Id user) override;
  Status update_conversation(Id conversation, const store::ConversationChange& change) override;

  Result<store::AppendResult> append_message(const store::MessageRow& draft) override;
  void append_message_async(store::MessageRow draft, std::function<void(Result<store::AppendResult>)> done) override;
  Result<std::optional<store::MessageRow>> message_by_id(Id id) override;
  Result<std::vector<store::MessageRow>> messages(Id conversation, std::optional<store::Seq> before, std::optional<store::Seq> after,
                                                  int limit) override;
  Result<store::MessageRow> soft_delete_message(Id message, TimeMs at) override;
  Result<store::ReadState> advance_read(Id conversation, Id user, store::Seq seq) override;
  Result<std::int64_t> unread_count(Id conversation, Id user) override;
  Result<store::MessageRow> edit_message(Id message, std::string_view body, const std::vector<Id>& mentions,
                                         TimeMs at) override;
  Result<store::ReactionChange> set_reaction(Id message, Id user, std::string_view emoji, bool on, TimeMs at,
                                             int max_distinct) override;
  Result<std::vector<store::MessageRow>> changed_messages(Id conversation, store::Seq after_change, int limit) override;
  Status set_muted(Id conversation, Id user, bool muted) override;
  Result<std::vector<store::SearchHit>> search_messages(const store::SearchQuery& query) override;

  Status insert_attachment(const store::AttachmentRow& row, TimeMs quota_since, std::int64_t quota_bytes,
                           std::optional<store::JobRow> preview_job) override;
  Result<std::optional<store::AttachmentRow>> attachment_by_id(Id id) override;
  Result<std::int64_t> uploaded_bytes_since(Id user, TimeMs since) override;
  Result<std::optional<store::MessageRow>> finish_preview(Id attachment, const store::AttachmentRow& outcome,
                                                          Id job_id) override;
  Result<std::vector<store::AttachmentRow>> reclaimable_attachments(TimeMs unattached_before, int limit) override;
  Status purge_attachments(const std::vector<Id>& ids) override;
  Status enqueue_job(const store::JobRow& job) override;
  Result<std::optional<store::JobRow>> claim_job(const std::vector<std::string>& kinds, TimeMs now,
                                                 TimeMs lease_until) override;
  Status complete_job(Id job_id) override;
  Status retry_job(Id job_id, TimeMs run_after, std::string_view error) override;
  Status reschedule_job(Id job_id, TimeMs run_after) override;

 private:
  enum Op : std::size_t {
    ping_, insert_user_, user_by_id_, user_by_login_, users_by_ids_, search_users_, set_last_seen_, contacts_of_,
    create_conversation_, conversation_by_id_, membership_, members_of_, conversations_of_, conversation_summary_,
    update_conversation_, append_message_, message_by_id_, messages_, soft_delete_message_, advance_read_,
    unread_count_, insert_attachment_, attachment_by_id_, uploaded_bytes_since_, finish_preview_,
    reclaimable_attachments_, purge_attachments_, enqueue_job_, claim_job_, complete_job_, retry_job_,
    reschedule_job_, edit_message_, set_reaction_, changed_messages_, set_muted_, search_messages_, op_count_
  };
  template <class F>
  auto timed(Op op, F&& call);

  std::unique_ptr<store::Store> inner_;
  std::array<metrics::Histogram*, op_count_> latency_{};
};

}  // namespace parley::app
