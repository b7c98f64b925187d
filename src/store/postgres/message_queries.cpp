#include "store/postgres/message_queries.hpp"

#include <algorithm>
#include <limits>

#include "store/postgres/message_extras.hpp"
#include "store/postgres/pg_rows.hpp"

namespace parley::store::postgres {

namespace {

const Statement by_id_sql{"messages_by_id", "SELECT " PARLEY_PG_MESSAGE_COLUMNS("m") " FROM messages m WHERE m.id = $1"};
const Statement page_after_sql{"messages_after",
                               "SELECT " PARLEY_PG_MESSAGE_COLUMNS("m") " FROM messages m WHERE m.conversation_id = $1"
                               " AND m.seq > $2 AND m.seq < $3 ORDER BY m.seq ASC LIMIT $4"};
const Statement page_before_sql{"messages_before",
                                "SELECT " PARLEY_PG_MESSAGE_COLUMNS("m") " FROM messages m WHERE m.conversation_id = $1"
                                " AND m.seq < $2 ORDER BY m.seq DESC LIMIT $3"};
const Statement changed_sql{"messages_changed",
                            "SELECT " PARLEY_PG_MESSAGE_COLUMNS("m") " FROM messages m WHERE m.conversation_id = $1"
                            " AND m.change_seq > $2 ORDER BY m.change_seq ASC LIMIT $3"};
// Locks the conversation row of a message (as appends do), so that every
// change of its messages serializes; the conversation id and the next change_seq.
const Statement lock_sql{"messages_lock_conversation",
                         "SELECT c.id, c.last_change_seq + 1 FROM messages m JOIN conversations c"
                         " ON c.id = m.conversation_id WHERE m.id = $1 FOR NO KEY UPDATE OF c"};
// Read after the lock (a fresh snapshot): whether it is deleted, its seq and
// sender, its stored mentions.
const Statement state_sql{"messages_state",
                          "SELECT deleted_at IS NOT NULL, seq, sender_id, mentions FROM messages WHERE id = $1"};
const Statement take_change_sql{"conversations_take_change",
                                "UPDATE conversations SET last_change_seq = $2 WHERE id = $1"};
// The tombstone and its files in one statement: no attachments (count 0),
// no reactions, no mentions; the files lose access. The search indexer empties
// its entry after (searches skip deleted messages before that).
const Statement soft_delete_sql{
    "messages_soft_delete",
    "WITH tomb AS (UPDATE messages m SET body = '', deleted_at = $2, attachment_count = 0, reaction_count = 0,"
    " mentions = '{}', change_seq = $3 WHERE m.id = $1 RETURNING " PARLEY_PG_MESSAGE_COLUMNS("m") "),"
    " files AS (UPDATE attachments a SET deleted_at = coalesce(a.deleted_at, $2) WHERE a.message_id = $1),"
    " gone AS (DELETE FROM reactions r WHERE r.message_id = $1)"
    " SELECT * FROM tomb"};
// The search indexer replaces its entry after.
const Statement edit_sql{
    "messages_edit",
    "UPDATE messages m SET body = $2, edited_at = $3, mentions = $4::bigint[], change_seq = $5 WHERE m.id = $1"};
// A message's mentions as the unread-mention counts see them: the sender's own never.
const Statement drop_mentions_sql{"mentions_drop",
                                  "DELETE FROM mentions WHERE conversation_id = $1 AND seq = $2"
                                  " AND user_id = ANY ($3::bigint[])"};
const Statement add_mentions_sql{"mentions_add",
                                 "INSERT INTO mentions (conversation_id, user_id, seq, message_id)"
                                 " SELECT $1, u, $2, $3 FROM unnest($4::bigint[]) AS u WHERE u <> $5"
                                 " ON CONFLICT DO NOTHING"};
const Statement reaction_exists_sql{"reactions_exists",
                                    "SELECT EXISTS (SELECT 1 FROM reactions WHERE message_id = $1 AND user_id = $2"
                                    " AND emoji = $3), EXISTS (SELECT 1 FROM reactions WHERE message_id = $1"
                                    " AND emoji = $3), (SELECT count(DISTINCT emoji) FROM reactions"
                                    " WHERE message_id = $1)"};
const Statement reaction_add_sql{"reactions_add",
                                 "INSERT INTO reactions (message_id, user_id, emoji, created_at, first_ord)"
                                 " SELECT $1, $2, $3, $4, (SELECT min(coalesce(f.first_ord, f.ord)) FROM reactions f"
                                 "  WHERE f.message_id = $1 AND f.emoji = $3)"};
const Statement reaction_remove_sql{"reactions_remove",
                                    "DELETE FROM reactions WHERE message_id = $1 AND user_id = $2 AND emoji = $3"};
const Statement reaction_count_sql{"messages_reaction_count",
                                   "UPDATE messages SET reaction_count = greatest(reaction_count + $2, 0),"
                                   " change_seq = $3 WHERE id = $1"};
// The watermark moves to max(current, min(seq, last_seq)) in one statement, and
// the unread and mention counts after it are read in the same snapshot. Only the member row is
// locked: the conversation row (which appends lock) is only read.
const Statement advance_read_sql{
    "members_advance_read",
    "WITH moved AS ("
    " UPDATE members m SET last_read_seq = greatest(m.last_read_seq, least($3, c.last_seq))"
    " FROM conversations c WHERE c.id = m.conversation_id AND m.conversation_id = $1 AND m.user_id = $2"
    " RETURNING m.last_read_seq)"
    " SELECT moved.last_read_seq, (SELECT count(*) FROM messages u WHERE u.conversation_id = $1"
    "   AND u.seq > moved.last_read_seq AND u.sender_id <> $2 AND u.deleted_at IS NULL),"
    " (SELECT count(*) FROM mentions mn WHERE mn.conversation_id = $1 AND mn.user_id = $2"
    "   AND mn.seq > moved.last_read_seq) FROM moved"};
const Statement unread_sql{"messages_unread",
                           "SELECT count(*) FROM members m JOIN messages u ON u.conversation_id = m.conversation_id"
                           " AND u.seq > m.last_read_seq"
                           " WHERE m.conversation_id = $1 AND m.user_id = $2 AND u.sender_id <> $2"
                           " AND u.deleted_at IS NULL"};

// The rows, then what they need beyond them (no round trip when nothing).
Result<std::vector<MessageRow>> all_messages(Connection& db, Result<PgResult> r, bool reverse) {
  if (!r) return r.error();
  std::vector<MessageRow> out;
  out.reserve(static_cast<std::size_t>(r->rows()));
  for (int i = 0; i < r->rows(); ++i) out.push_back(read_message(*r, i, 0));
  if (reverse) std::reverse(out.begin(), out.end());
  if (Status s = complete_messages(db, out); !s) return s.error();
  return out;
}

// BEGIN, body, COMMIT; ROLLBACK on any failure. A failed COMMIT is unavailable
// (outcome unknown).
template <class T, class Body>
Result<T> in_transaction(Connection& db, Body body) {
  if (auto r = db.exec("BEGIN"); !r) return r.error();
  Result<T> out = body();
  if (!out) {
    db.rollback();
    return out;
  }
  if (auto r = db.exec("COMMIT"); !r) return r.error();
  return out;
}

// A message about to change, its conversation row locked by this transaction.
struct Locked {
  Id conversation = 0;
  Seq next_change = 0;  // the change_seq the change takes (if it changes something)
  bool deleted = false;
  Seq seq = 0;
  Id sender = 0;
  std::vector<Id> mentions;
};

Result<Locked> lock_message(Connection& db, Id message) {
  auto locked = db.run(lock_sql, Params{}.add(message));
  if (!locked) return locked.error();
  if (locked->rows() == 0) return Error::not_found("no such message");
  Locked out;
  out.conversation = locked->i64(0, 0);
  out.next_change = locked->i64(0, 1);
  auto state = db.run(state_sql, Params{}.add(message));
  if (!state) return state.error();
  if (state->rows() == 0) return Error::not_found("no such message");
  out.deleted = state->boolean(0, 0);
  out.seq = state->i64(0, 1);
  out.sender = state->i64(0, 2);
  out.mentions = parse_int_array(state->text(0, 3));
  return out;
}

Status take_change(Connection& db, const Locked& m) {
  auto r = db.run(take_change_sql, Params{}.add(m.conversation).add(m.next_change));
  if (!r) return r.error();
  return Status::success();
}

Status drop_mentions(Connection& db, const Locked& m) {
  if (m.mentions.empty()) return Status::success();
  auto r = db.run(drop_mentions_sql, Params{}.add(m.conversation).add(m.seq).add(int_array(m.mentions)));
  if (!r) return r.error();
  return Status::success();
}

Result<MessageRow> read_whole(Connection& db, Id message) {
  auto row = message_by_id(db, message);
  if (!row) return row.error();
  if (!*row) return Error::not_found("no such message");
  return std::move(**row);
}

}  // namespace

std::vector<Id> normalized_mentions(const std::vector<Id>& mentions) {
  std::vector<Id> out = mentions;
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Result<std::optional<MessageRow>> message_by_id(Connection& db, Id id) {
  auto r = db.run(by_id_sql, Params{}.add(id));
  if (!r) return r.error();
  if (r->rows() == 0) return std::optional<MessageRow>();
  std::optional<MessageRow> out(read_message(*r, 0, 0));
  if (Status s = complete_messages(db, *out); !s) return s.error();
  return out;
}

Result<std::vector<MessageRow>> messages(Connection& db, Id conversation, std::optional<Seq> before,
                                         std::optional<Seq> after, int limit) {
  if (limit <= 0) return std::vector<MessageRow>{};
  Seq upper = before.value_or(std::numeric_limits<Seq>::max());
  if (after) {
    return all_messages(
        db, db.run(page_after_sql, Params{}.add(conversation).add(*after).add(upper).add(std::int64_t{limit})), false);
  }
  return all_messages(db, db.run(page_before_sql, Params{}.add(conversation).add(upper).add(std::int64_t{limit})), true);
}

Result<std::vector<MessageRow>> changed_messages(Connection& db, Id conversation, Seq after_change, int limit) {
  if (limit <= 0) return std::vector<MessageRow>{};
  return all_messages(
      db, db.run(changed_sql, Params{}.add(conversation).add(after_change).add(std::int64_t{limit})), false);
}

Result<MessageRow> soft_delete_message(Connection& db, Id message, TimeMs at) {
  return in_transaction<MessageRow>(db, [&]() -> Result<MessageRow> {
    auto m = lock_message(db, message);
    if (!m) return m.error();
    if (m->deleted) return read_whole(db, message);  // a repeat changes nothing
    if (Status s = take_change(db, *m); !s) return s.error();
    if (Status s = drop_mentions(db, *m); !s) return s.error();
    auto r = db.run(soft_delete_sql, Params{}.add(message).add(at).add(m->next_change));
    if (!r) return r.error();
    if (r->rows() == 0) return Error::not_found("no such message");
    MessageRow tomb = read_message(*r, 0, 0);
    if (Status s = complete_messages(db, tomb); !s) return s.error();  // its reply quote
    return tomb;
  });
}

Result<MessageRow> edit_message(Connection& db, Id message, std::string_view body, const std::vector<Id>& mentions,
                                TimeMs at) {
  const std::vector<Id> wanted = normalized_mentions(mentions);
  return in_transaction<MessageRow>(db, [&]() -> Result<MessageRow> {
    auto m = lock_message(db, message);
    if (!m) return m.error();
    if (m->deleted) return Error::conflict("message_deleted", "the message is deleted");
    if (Status s = take_change(db, *m); !s) return s.error();
    Params p;
    p.add(message).add(body).add(at).add(int_array(wanted)).add(m->next_change);
    if (auto r = db.run(edit_sql, p); !r) return r.error();
    if (Status s = drop_mentions(db, *m); !s) return s.error();
    if (!wanted.empty()) {
      auto r = db.run(add_mentions_sql,
                      Params{}.add(m->conversation).add(m->seq).add(message).add(int_array(wanted)).add(m->sender));
      if (!r) return r.error();
    }
    return read_whole(db, message);
  });
}

Result<ReactionChange> set_reaction(Connection& db, Id message, Id user, std::string_view emoji, bool on, TimeMs at,
                                    int max_distinct) {
  return in_transaction<ReactionChange>(db, [&]() -> Result<ReactionChange> {
    auto m = lock_message(db, message);
    if (!m) return m.error();
    if (m->deleted) return Error::conflict("message_deleted", "the message is deleted");
    auto state = db.run(reaction_exists_sql, Params{}.add(message).add(user).add(emoji));
    if (!state) return state.error();
    const bool mine = state->boolean(0, 0);
    const bool used = state->boolean(0, 1);
    const std::int64_t distinct = state->i64(0, 2);
    std::int64_t delta = 0;
    if (on && !mine) {
      if (!used && distinct >= max_distinct) {
        return Error::conflict("too_many_reactions", "this message has the most distinct reactions allowed");
      }
      auto r = db.run(reaction_add_sql, Params{}.add(message).add(user).add(emoji).add(at));
      if (!r) return r.error();
      delta = 1;
    } else if (!on && mine) {
      auto r = db.run(reaction_remove_sql, Params{}.add(message).add(user).add(emoji));
      if (!r) return r.error();
      delta = -1;
    }
    if (delta != 0) {
      if (Status s = take_change(db, *m); !s) return s.error();
      auto r = db.run(reaction_count_sql, Params{}.add(message).add(delta).add(m->next_change));
      if (!r) return r.error();
    }
    auto row = read_whole(db, message);
    if (!row) return row.error();
    return ReactionChange{std::move(*row), delta != 0};
  });
}

Result<ReadState> advance_read(Connection& db, Id conversation, Id user, Seq seq) {
  auto r = db.run(advance_read_sql, Params{}.add(conversation).add(user).add(seq));
  if (!r) return r.error();
  if (r->rows() == 0) return Error::not_found("not a member of this conversation");
  return ReadState{conversation, r->i64(0, 0), r->i64(0, 1), r->i64(0, 2)};
}

Result<std::int64_t> unread_count(Connection& db, Id conversation, Id user) {
  auto r = db.run(unread_sql, Params{}.add(conversation).add(user));
  if (!r) return r.error();
  return r->i64(0, 0);
}

}  // namespace parley::store::postgres
