#pragma once
// The storage interface of Parley. Narrow on purpose: everything the chat layer
// needs, nothing SQL-shaped, so that another backend (PostgreSQL in cluster mode)
// can implement it.
//
// Thread-safety: every method may be called from any thread, concurrently.
// Calls BLOCK the caller (disk or network I/O, waiting for a group commit): never
// call them on an IO thread. Writes are durable when they return (or when `done`
// runs). Reads never wait for the writer.
//
// Errors: every call, reads included, returns its failure as a value. Expected
// failures (not found, conflicts) are the documented ErrorKinds; a storage
// failure (disk full, I/O error, the database server gone or restarting) is
// ErrorKind::unavailable (or internal for a bug), and the write it belongs to
// changed nothing. A read that failed says so: it never reads as "nothing", so
// callers can answer 503 and must not cache it. "Absent" is a successful read
// of an empty optional / empty list.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "store/records.hpp"

namespace parley::store {

struct CreatedConversation {
  Id id = 0;
  bool created = false;  // false: a direct conversation between the pair existed
};

struct AppendResult {
  MessageRow message;
  bool created = false;  // false: (conversation, sender, clientMsgId) was stored before; nothing new
};

struct ReadState {
  Id conversation_id = 0;
  Seq last_read_seq = 0;
  std::int64_t unread_count = 0;
  std::int64_t mention_count = 0;  // unread messages that mention the member
};

// The outcome of set_reaction: the message as it is now (reactions included)
// and whether anything changed (false: the reaction was already so; no
// change_seq was used).
struct ReactionChange {
  MessageRow message;
  bool changed = false;
};

// A full-text search (docs/features.md). `text` is the user's query as typed:
// the backend splits it into words (its own tokenizer) and matches messages
// that contain every word, the last one as a prefix. Only messages of
// conversations `user` is a member of, not deleted; optionally of one
// conversation, and only messages with id < `before`. Ranked by relevance
// (bm25 / ts_rank), ties newest first; `offset` skips that many hits.
struct SearchQuery {
  Id user = 0;
  std::string text;
  std::optional<Id> conversation;
  std::optional<Id> before;
  int limit = 20;
  int offset = 0;
};

// Switches the backends read at open (StoreConfig::search_index).
struct SearchIndexOptions {
  // Off: no index is kept (no cost per send or edit); search_messages answers
  // unavailable "search_disabled". Turning it on again rebuilds the index (SQLite:
  // in the background, searches wait up to barrier_ms; PostgreSQL: at open).
  bool enabled = true;
  // Both backends keep the index off the write path, caught up by a thread:
  // how long a search waits for the index to take the writes made before it;
  // past that it answers from what is indexed.
  int barrier_ms = 1000;
};

// Counters since the store opened, for /metrics. A backend fills what it has
// and leaves the rest 0.
struct StoreStats {
  std::uint64_t queued_writes = 0;            // write jobs waiting for the writer
  std::uint64_t write_transactions = 0;       // committed
  std::uint64_t failed_write_transactions = 0;
  std::uint64_t write_jobs = 0;               // completed, whatever their outcome
  std::uint64_t largest_write_batch = 0;      // jobs in one committed transaction
  double commit_seconds = 0;                  // spent in COMMIT (the WAL write and fsync)
  std::uint64_t checkpoints = 0;              // WAL checkpoints completed (SQLite)
  std::uint64_t checkpoint_pages = 0;         // pages they copied into the database file
  std::int64_t wal_pages = 0;                 // WAL frames after the latest commit
  // With a read replica (--store-replica): where the routed reads went.
  std::uint64_t replica_reads = 0;            // answered by the replica
  std::uint64_t replica_not_fresh = 0;        // sent to the primary: the replica had not replayed enough
  std::uint64_t replica_unavailable = 0;      // sent to the primary: the replica failed, was slow or busy
};

struct ConversationChange {
  std::optional<std::string> title;
  std::vector<MemberRow> add;  // already members: ignored
  std::vector<Id> remove;      // not members: ignored
};

class Store {
 public:
  virtual ~Store() = default;

  // A trivial round trip to the database, for /readyz.
  virtual Status ping() = 0;

  // Never blocks on the writer or the disk.
  virtual StoreStats stats() const { return {}; }

  // ---- users
  // conflict "username_taken" / "email_taken" (both compared ignoring case).
  virtual Status insert_user(const UserRow& user) = 0;
  virtual Result<std::optional<UserRow>> user_by_id(Id id) = 0;
  // Matches username or email, ignoring case.
  virtual Result<std::optional<UserRow>> user_by_login(std::string_view username_or_email) = 0;
  // Unknown ids are skipped; order unspecified.
  virtual Result<std::vector<UserRow>> users_by_ids(const std::vector<Id>& ids) = 0;
  // Case-insensitive prefix of username or display name, or exact email (ignoring
  // case); never `exclude`; at most `limit`, by username.
  virtual Result<std::vector<UserRow>> search_users(std::string_view query, Id exclude, int limit) = 0;
  virtual Status set_last_seen(Id user, TimeMs at) = 0;
  // Everyone who shares at least one conversation with `user` (not `user`
  // itself): who hears about their presence.
  virtual Result<std::vector<Id>> contacts_of(Id user) = 0;

  // ---- conversations
  // Inserts the conversation and its members in one transaction. For a direct
  // conversation (exactly two members) an existing one between the same pair is
  // returned instead (created = false).
  virtual Result<CreatedConversation> create_conversation(const ConversationRow& row,
                                                          const std::vector<MemberRow>& members) = 0;
  virtual Result<std::optional<ConversationRow>> conversation_by_id(Id id) = 0;
  virtual Result<std::optional<MemberRow>> membership(Id conversation, Id user) = 0;
  // Members with their users (no email, no hash), admins first then by join time.
  virtual Result<std::vector<MemberView>> members_of(Id conversation) = 0;
  // The user's conversations, most recent activity first, strictly after `cursor`.
  virtual Result<std::vector<ConversationSummary>> conversations_of(Id user, std::optional<ActivityCursor> cursor,
                                                                    int limit) = 0;
  virtual Result<std::optional<ConversationSummary>> conversation_summary(Id conversation, Id user) = 0;
  // Applies a change in one transaction. not_found if the conversation is gone.
  virtual Status update_conversation(Id conversation, const ConversationChange& change) = 0;

  // ---- messages
  // `draft` carries id, conversation_id, sender_id, body, client_msg_id, created_at,
  // and the ids of its attachments (draft.attachments[i].id, nothing else);
  // the store assigns seq = last_seq + 1 in the transaction that stores it and moves
  // the conversation's last_seq / last_activity_at. A repeat of (sender_id,
  // client_msg_id) returns the stored message with created = false. not_found when
  // the conversation is gone or the sender is not a member. Each attachment id
  // must name an upload of the sender into this conversation that is not
  // attached and not deleted, else nothing is stored and the answer is conflict
  // "attachment_unavailable"; in the same transaction they get the message's id.
  // An id given twice counts once. A repeat claims nothing (its draft's ids are ignored).
  // reply_to_id must name a message of the same conversation (deleted or not),
  // else conflict "reply_unavailable" and nothing is stored. The message takes
  // the next change_seq; it enters the search index after the commit (both
  // backends index off the write path; search_messages waits, bounded, for it).
  virtual Result<AppendResult> append_message(const MessageRow& draft) = 0;
  // Same, without blocking. `done` runs exactly once: after the commit (or the
  // failure) on a thread of the store's, or at once on the caller's thread when
  // the store refuses the write (closing, queue full: unavailable). It must be
  // quick and must not block or call the store (post elsewhere instead).
  // No order is promised between the `done`s of different appends, not even
  // within one conversation: a backend may complete them on several threads.
  // Callers that need seq order (the chat layer's delivery) restore it.
  virtual void append_message_async(MessageRow draft, std::function<void(Result<AppendResult>)> done) = 0;

  virtual Result<std::optional<MessageRow>> message_by_id(Id id) = 0;
  // A page in ascending seq order, at most `limit`:
  //   after only:  the first `limit` with seq > after;
  //   before only: the last `limit` with seq < before;
  //   both:        the first `limit` with after < seq < before;
  //   neither:     the newest `limit`.
  // Deleted messages are included as tombstones.
  virtual Result<std::vector<MessageRow>> messages(Id conversation, std::optional<Seq> before,
                                                   std::optional<Seq> after, int limit) = 0;
  // Erases the body and sets deleted_at (kept if already set); its attachments
  // get deleted_at too (no access from then on; the sweep reclaims them); its
  // reactions and mentions go, and it leaves the search index. The first
  // deletion takes a change_seq; a repeat changes nothing.
  // Returns the tombstone.
  virtual Result<MessageRow> soft_delete_message(Id message, TimeMs at) = 0;
  // ---- conversation features (docs/features.md). Every change of a message
  // (append, edit, set_reaction that changed something, soft delete) takes
  // the next value of its conversation's change sequence in the transaction
  // that makes it: message.change_seq = ++conversation.last_change_seq.
  //
  // Replaces the body and the mentions of a live message, sets edited_at = at.
  // not_found: no such message; conflict "message_deleted": it is deleted
  // (nothing changes). The search index follows after the commit.
  // Returns the whole row as every read fills it.
  virtual Result<MessageRow> edit_message(Id message, std::string_view body, const std::vector<Id>& mentions,
                                          TimeMs at) = 0;
  // Adds (on) or removes (!on) `user`'s `emoji` on a live message. Adding a
  // new emoji to a message that has `max_distinct` distinct ones already:
  // conflict "too_many_reactions". not_found: no such message; conflict
  // "message_deleted". Repeats change nothing (changed = false).
  virtual Result<ReactionChange> set_reaction(Id message, Id user, std::string_view emoji, bool on, TimeMs at,
                                              int max_distinct) = 0;
  // The messages of a conversation whose change_seq > after_change, ascending
  // change_seq, at most `limit`, tombstones included: how a client that was
  // away learns of edits, reactions and deletions (and new messages).
  virtual Result<std::vector<MessageRow>> changed_messages(Id conversation, Seq after_change, int limit) = 0;
  // not_found if not a member.
  virtual Status set_muted(Id conversation, Id user, bool muted) = 0;
  // See SearchQuery. unavailable "search_disabled" when the index is off.
  virtual Result<std::vector<SearchHit>> search_messages(const SearchQuery& query) = 0;

  // Moves the member's watermark to max(current, seq). not_found if not a member.
  virtual Result<ReadState> advance_read(Id conversation, Id user, Seq seq) = 0;
  // Messages after the member's watermark, not sent by them, not deleted.
  virtual Result<std::int64_t> unread_count(Id conversation, Id user) = 0;

  // ---- attachments (docs/media.md)
  // Inserts an unattached upload. If the uploader's uploads created at or after
  // `quota_since` (deleted ones included) plus this one would exceed
  // `quota_bytes`, nothing is inserted: conflict "upload_quota_exceeded".
  // With `preview_job` a "preview" job for it is queued in the same transaction.
  virtual Status insert_attachment(const AttachmentRow& row, TimeMs quota_since, std::int64_t quota_bytes,
                                   std::optional<JobRow> preview_job) = 0;
  // Deleted ones included (callers refuse access to them); absent: nullopt.
  virtual Result<std::optional<AttachmentRow>> attachment_by_id(Id id) = 0;
  // Sum of the sizes of the user's uploads created at or after `since`.
  virtual Result<std::int64_t> uploaded_bytes_since(Id user, TimeMs since) = 0;
  // Records the outcome of a preview: preview state, width/height, thumbnail keys
  // and preview_error from `outcome` (other fields ignored), and removes job
  // `job_id` in the same transaction. Returns the message the attachment
  // belongs to (with all its attachments) when it is attached and not deleted,
  // so that the caller can announce message_updated; nullopt otherwise.
  // not_found if the attachment is gone.
  virtual Result<std::optional<MessageRow>> finish_preview(Id attachment, const AttachmentRow& outcome, Id job_id) = 0;
  // Attachments whose bytes may go: deleted ones, and unattached ones created
  // before `unattached_before`; at most `limit`, oldest first.
  virtual Result<std::vector<AttachmentRow>> reclaimable_attachments(TimeMs unattached_before, int limit) = 0;
  // Removes these attachment rows (and any job about them). Call after their
  // blobs were removed: a crash in between leaves rows whose blobs are gone,
  // which the next sweep removes again. Only rows still reclaimable (deleted,
  // or unattached) go: an upload attached since it was listed stays.
  virtual Status purge_attachments(const std::vector<Id>& ids) = 0;

  // ---- jobs (docs/media.md). Claims are leases: in PostgreSQL the next job is
  // taken with FOR UPDATE SKIP LOCKED, so any number of nodes and `parley
  // worker`s share the queue; a job is never run by two holders at once while
  // its lease lasts.
  // Queues a job unless one of the same (kind, subject_id) exists (then nothing
  // changes: success). `job.id`, kind, subject_id, run_after, created_at are used.
  virtual Status enqueue_job(const JobRow& job) = 0;
  // The runnable job (run_after <= now, not leased or lease expired) with the
  // earliest run_after, of one of `kinds`; it is leased until `lease_until` and
  // its attempts counted. nullopt when none is runnable.
  virtual Result<std::optional<JobRow>> claim_job(const std::vector<std::string>& kinds, TimeMs now,
                                                  TimeMs lease_until) = 0;
  // complete_job, retry_job, reschedule_job succeed when the job is gone
  // already (another holder finished it after this one's lease ran out).
  // Done: removes the job.
  virtual Status complete_job(Id job_id) = 0;
  // Failed this time: releases the lease, to run again at `run_after`.
  virtual Status retry_job(Id job_id, TimeMs run_after, std::string_view error) = 0;
  // Moves a recurring job (the sweep) to its next run: releases the lease,
  // sets run_after, resets attempts.
  virtual Status reschedule_job(Id job_id, TimeMs run_after) = 0;
};

}  // namespace parley::store
