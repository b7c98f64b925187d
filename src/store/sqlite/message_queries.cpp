#include "store/sqlite/message_queries.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <limits>

#include "store/sqlite/attachment_queries.hpp"
#include "store/sqlite/errors.hpp"
#include "store/sqlite/message_details.hpp"
#include "store/sqlite/rows.hpp"

namespace parley::store::sqlite {

namespace {

// Both read the rows, then their attachments, quoted parents and reactions
// (fill_message_details: no query when none of them has any). The statement is reset first, so that the
// connection's cached statements are free for the attachment query.
Result<std::optional<MessageRow>> one_message(Connection& db, Stmt st, const char* context) {
  std::optional<MessageRow> out;
  int rc = st.step();
  if (rc == SQLITE_ROW) {
    out.emplace(read_message(st, 0));
  } else if (rc != SQLITE_DONE) {
    return st.error(context);
  }
  { Stmt done = std::move(st); }
  if (out) {
    if (Status s = fill_message_details(db, *out); !s) return s.error();
  }
  return out;
}

Result<std::vector<MessageRow>> all_messages(Connection& db, Stmt st, bool reverse, const char* context) {
  std::vector<MessageRow> out;
  while (st.step() == SQLITE_ROW) out.push_back(read_message(st, 0));
  if (st.rc() != SQLITE_DONE) return st.error(context);
  { Stmt done = std::move(st); }
  if (reverse) std::reverse(out.begin(), out.end());
  if (Status s = fill_message_details(db, out); !s) return s.error();
  return out;
}

}  // namespace

Result<LiveMessage> live_message(Connection& db, Id message, const char* context) {
  Stmt st = db.prepare("SELECT conversation_id, seq, sender_id, deleted_at IS NOT NULL, body, mentions"
                       " FROM messages WHERE id = ?1");
  st.bind(1, message);
  int rc = st.step();
  if (rc == SQLITE_DONE) return Error::not_found("no such message");
  if (rc != SQLITE_ROW) return st.error(context);
  LiveMessage out;
  out.conversation_id = st.i64(0);
  out.seq = st.i64(1);
  out.sender_id = st.i64(2);
  out.deleted = st.i64(3) != 0;
  out.body = st.text(4);
  if (!st.is_null(5)) out.mentions = mentions_from_text(st.text(5));
  return out;
}

Status insert_mentions(Connection& db, Id conversation, Seq seq, Id sender, const std::vector<Id>& users) {
  for (Id user : users) {
    if (user == sender) continue;  // one's own message is never unread
    Stmt st = db.prepare("INSERT INTO mentions (conversation_id, user_id, seq) VALUES (?1, ?2, ?3)"
                         " ON CONFLICT DO NOTHING");
    st.bind(1, conversation).bind(2, user).bind(3, seq);
    if (!st.run()) return st.error("mentions");
  }
  return Status::success();
}

Status delete_mentions(Connection& db, Id conversation, Seq seq, const std::vector<Id>& users) {
  for (Id user : users) {
    Stmt st = db.prepare("DELETE FROM mentions WHERE conversation_id = ?1 AND user_id = ?2 AND seq = ?3");
    st.bind(1, conversation).bind(2, user).bind(3, seq);
    if (!st.run()) return st.error("mentions");
  }
  return Status::success();
}

Result<AppendResult> append_message(Connection& db, ConversationSeqs& seqs, MessageRow draft) {
  Seq last_seq = 0;
  Seq last_change_seq = 0;
  if (const ConversationSeqs::Entry* entry = seqs.find(draft.conversation_id)) {
    // This transaction appended to the conversation already: its last_seq is
    // in memory (the row is written before COMMIT); only membership is asked.
    Stmt st = db.prepare("SELECT 1 FROM members WHERE conversation_id = ?1 AND user_id = ?2");
    st.bind(1, draft.conversation_id).bind(2, draft.sender_id);
    int rc = st.step();
    if (rc == SQLITE_DONE) return Error::not_found("no such conversation");
    if (rc != SQLITE_ROW) return st.error("append_message");
    last_seq = entry->last_seq;
    last_change_seq = entry->last_change_seq;
  } else {
    Stmt st = db.prepare(
        "SELECT c.last_seq, EXISTS (SELECT 1 FROM members m WHERE m.conversation_id = c.id AND m.user_id = ?2),"
        " c.last_change_seq FROM conversations c WHERE c.id = ?1");
    st.bind(1, draft.conversation_id).bind(2, draft.sender_id);
    int rc = st.step();
    if (rc == SQLITE_DONE) return Error::not_found("no such conversation");
    if (rc != SQLITE_ROW) return st.error("append_message");
    if (st.i64(1) == 0) return Error::not_found("no such conversation");
    last_seq = st.i64(0);
    last_change_seq = st.i64(2);
  }
  std::optional<ReplyQuote> quote;
  if (draft.reply_to_id) {
    // Read before the INSERT, so that a refused reply stores nothing and
    // nothing can fail after the INSERT (an append without attachments and
    // mentions stays one statement: AppendJob::atomic).
    Stmt st = db.prepare("SELECT conversation_id, seq, sender_id, body, deleted_at IS NOT NULL FROM messages"
                         " WHERE id = ?1");
    st.bind(1, *draft.reply_to_id);
    int rc = st.step();
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return st.error("append_message: reply");
    if (rc == SQLITE_DONE || st.i64(0) != draft.conversation_id) {
      return Error::conflict("reply_unavailable", "the message replied to is not in this conversation");
    }
    quote.emplace();
    quote->id = *draft.reply_to_id;
    quote->seq = st.i64(1);
    quote->sender_id = st.i64(2);
    quote->deleted = st.i64(4) != 0;
    if (!quote->deleted) quote->body = st.text(3);
  }
  // Distinct attachment ids; the draft's placeholder rows are not stored.
  const std::vector<Id> attachment_ids =
      draft.attachments.empty() ? std::vector<Id>{} : distinct_attachment_ids(draft);
  // The draft becomes the stored row: moved, not copied (its two strings).
  MessageRow row = std::move(draft);
  row.seq = last_seq + 1;
  row.change_seq = last_change_seq + 1;
  row.deleted_at.reset();
  row.edited_at.reset();
  row.reply_to = std::move(quote);
  row.reactions.clear();
  row.attachments.clear();
  normalize_mentions(row.mentions);
  const std::optional<std::string> mentions = mentions_text(row.mentions);
  {
    // The insert itself detects a repeat of (conversation, sender, clientMsgId) through the
    // unique index, so the common case (a new message) walks that index once
    // instead of once for a SELECT and again for the INSERT.
    Stmt st = db.prepare(
        "INSERT INTO messages (conversation_id, seq, id, sender_id, client_msg_id, created_at, deleted_at, body,"
        " attachment_count, change_seq, reply_to_id, mentions)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL, ?7, ?8, ?9, ?10, ?11)"
        " ON CONFLICT (conversation_id, sender_id, client_msg_id) DO NOTHING");
    // `row` outlives `st` (this block), so SQLite may read its text in place.
    st.bind(1, row.conversation_id)
        .bind(2, row.seq)
        .bind(3, row.id)
        .bind(4, row.sender_id)
        .bind_static(5, row.client_msg_id)
        .bind(6, row.created_at)
        .bind_static(7, row.body)
        .bind(8, static_cast<std::int64_t>(attachment_ids.size()))
        .bind(9, row.change_seq)
        .bind_opt(10, row.reply_to_id);
    if (mentions) {
      st.bind_static(11, *mentions);
    } else {
      st.bind_null(11);
    }
    if (!st.run()) {
      if (is_constraint(st.rc()) && st.rc() != SQLITE_CONSTRAINT_FOREIGNKEY) {
        return Error::conflict("id_taken", "a message with this id exists");
      }
      return st.error("append_message");
    }
  }
  if (db.changes() == 0) {
    // A repeat: answer with the stored message; nothing new is stored.
    Stmt st = db.prepare("SELECT " PARLEY_MESSAGE_COLUMNS("m") " FROM messages m"
                         " WHERE m.conversation_id = ?1 AND m.sender_id = ?2 AND m.client_msg_id = ?3");
    st.bind(1, row.conversation_id).bind(2, row.sender_id).bind_static(3, row.client_msg_id);
    auto stored = one_message(db, std::move(st), "append_message");
    if (!stored) return stored.error();
    if (!*stored) return Error::internal("append_message: a conflicting message vanished");
    return AppendResult{std::move(**stored), false};
  }
  if (!attachment_ids.empty()) {
    // Not atomic any more (the AppendJob then runs in a savepoint): a refused
    // claim rolls the message back with it.
    auto claimed = claim_attachments(db, row.id, row.conversation_id, row.sender_id, attachment_ids);
    if (!claimed) return claimed.error();
    row.attachments = std::move(*claimed);
  }
  if (!row.mentions.empty()) {
    if (Status s = insert_mentions(db, row.conversation_id, row.seq, row.sender_id, row.mentions); !s) {
      return s.error();
    }
  }
  // Last, once nothing can fail any more: conversations.last_seq,
  // last_change_seq and last_activity_at are written once per transaction
  // (ConversationSeqs).
  seqs.appended(row.conversation_id, row.seq, row.created_at, row.change_seq);
  return AppendResult{std::move(row), true};
}

Result<MessageRow> soft_delete_message(Connection& db, ConversationSeqs& seqs, Id message,
                                       TimeMs at) {
  auto live = live_message(db, message, "soft_delete_message");
  if (!live) return live.error();
  if (!live->deleted) {
    auto change = seqs.next_change(db, live->conversation_id);
    if (!change) return change.error();
    {
      Stmt st = db.prepare("UPDATE messages SET body = '', deleted_at = ?2, attachment_count = 0, mentions = NULL,"
                           " reaction_count = 0, change_seq = ?3 WHERE id = ?1");
      st.bind(1, message).bind(2, at).bind(3, *change);
      if (!st.run()) return st.error("soft_delete_message");
    }
    {
      Stmt st = db.prepare("DELETE FROM reactions WHERE message_id = ?1");
      st.bind(1, message);
      if (!st.run()) return st.error("soft_delete_message: reactions");
    }
    if (Status s = delete_mentions(db, live->conversation_id, live->seq, live->mentions); !s) return s.error();
    if (Status s = mark_attachments_deleted(db, message, at); !s) return s.error();
  }
  auto row = message_by_id(db, message);
  if (!row) return row.error();
  if (!*row) return Error::not_found("no such message");
  return std::move(**row);
}

Result<ReadState> advance_read(Connection& db, ConversationSeqs& seqs, Id conversation, Id user, Seq seq) {
  // Reads conversations.last_seq: bring the row up to date with this transaction's appends.
  if (Status s = seqs.sync(db, conversation); !s) return s.error();
  Seq current = 0;
  Seq last_seq = 0;
  {
    Stmt st = db.prepare("SELECT m.last_read_seq, c.last_seq FROM members m JOIN conversations c"
                         " ON c.id = m.conversation_id WHERE m.conversation_id = ?1 AND m.user_id = ?2");
    st.bind(1, conversation).bind(2, user);
    int rc = st.step();
    if (rc == SQLITE_DONE) return Error::not_found("not a member of this conversation");
    if (rc != SQLITE_ROW) return st.error("advance_read");
    current = st.i64(0);
    last_seq = st.i64(1);
  }
  Seq next = std::max(current, std::min(seq, last_seq));
  if (next != current) {
    Stmt st = db.prepare("UPDATE members SET last_read_seq = ?3 WHERE conversation_id = ?1 AND user_id = ?2");
    st.bind(1, conversation).bind(2, user).bind(3, next);
    if (!st.run()) return st.error("advance_read");
  }
  auto unread = unread_count(db, conversation, user);
  if (!unread) return unread.error();
  Stmt st = db.prepare("SELECT count(*) FROM mentions WHERE conversation_id = ?1 AND user_id = ?2 AND seq > ?3");
  st.bind(1, conversation).bind(2, user).bind(3, next);
  if (st.step() != SQLITE_ROW) return st.error("advance_read: mentions");
  return ReadState{conversation, next, *unread, st.i64(0)};
}

Result<std::optional<MessageRow>> message_by_id(Connection& db, Id id) {
  Stmt st = db.prepare("SELECT " PARLEY_MESSAGE_COLUMNS("m") " FROM messages m WHERE m.id = ?1");
  st.bind(1, id);
  return one_message(db, std::move(st), "message_by_id");
}

Result<std::vector<MessageRow>> messages(Connection& db, Id conversation, std::optional<Seq> before,
                                         std::optional<Seq> after, int limit) {
  if (limit <= 0) return std::vector<MessageRow>{};
  if (after) {
    // after only, or both: the first `limit` above `after` (and below `before`).
    Stmt st = db.prepare("SELECT " PARLEY_MESSAGE_COLUMNS("m") " FROM messages m WHERE m.conversation_id = ?1"
                         " AND m.seq > ?2 AND m.seq < ?3 ORDER BY m.seq ASC LIMIT ?4");
    st.bind(1, conversation).bind(2, *after).bind(3, before.value_or(std::numeric_limits<Seq>::max())).bind(4, limit);
    return all_messages(db, std::move(st), false, "messages");
  }
  // before only, or neither: the last `limit` below `before`, read newest first.
  Stmt st = db.prepare("SELECT " PARLEY_MESSAGE_COLUMNS("m") " FROM messages m WHERE m.conversation_id = ?1"
                       " AND m.seq < ?2 ORDER BY m.seq DESC LIMIT ?3");
  st.bind(1, conversation).bind(2, before.value_or(std::numeric_limits<Seq>::max())).bind(3, limit);
  return all_messages(db, std::move(st), true, "messages");
}

Result<std::int64_t> unread_count(Connection& db, Id conversation, Id user) {
  Stmt st = db.prepare("SELECT count(*) FROM members m JOIN messages u ON u.conversation_id = m.conversation_id"
                       " AND u.seq > m.last_read_seq"
                       " WHERE m.conversation_id = ?1 AND m.user_id = ?2 AND u.sender_id <> ?2"
                       " AND u.deleted_at IS NULL");
  st.bind(1, conversation).bind(2, user);
  if (st.step() != SQLITE_ROW) return st.error("unread_count");
  return st.i64(0);
}

}  // namespace parley::store::sqlite
