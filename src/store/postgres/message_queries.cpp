#include "store/postgres/message_queries.hpp"

#include <algorithm>
#include <limits>

#include "store/postgres/attachment_queries.hpp"
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
// The message and its attachments in one statement: the tombstone shows no
// attachments (count 0), and the files lose access (deleted_at).
const Statement soft_delete_sql{"messages_soft_delete",
                                "WITH tomb AS (UPDATE messages m SET body = '', deleted_at = coalesce(m.deleted_at, $2),"
                                " attachment_count = 0 WHERE m.id = $1 RETURNING " PARLEY_PG_MESSAGE_COLUMNS("m") "),"
                                " files AS (UPDATE attachments a SET deleted_at = coalesce(a.deleted_at, $2)"
                                " WHERE a.message_id = $1 AND EXISTS (SELECT 1 FROM tomb))"
                                " SELECT * FROM tomb"};
// The watermark moves to max(current, min(seq, last_seq)) in one statement, and
// the unread count after it is read in the same snapshot. Only the member row is
// locked: the conversation row (which appends lock) is only read.
const Statement advance_read_sql{
    "members_advance_read",
    "WITH moved AS ("
    " UPDATE members m SET last_read_seq = greatest(m.last_read_seq, least($3, c.last_seq))"
    " FROM conversations c WHERE c.id = m.conversation_id AND m.conversation_id = $1 AND m.user_id = $2"
    " RETURNING m.last_read_seq)"
    " SELECT moved.last_read_seq, (SELECT count(*) FROM messages u WHERE u.conversation_id = $1"
    "   AND u.seq > moved.last_read_seq AND u.sender_id <> $2 AND u.deleted_at IS NULL) FROM moved"};
const Statement unread_sql{"messages_unread",
                           "SELECT count(*) FROM members m JOIN messages u ON u.conversation_id = m.conversation_id"
                           " AND u.seq > m.last_read_seq"
                           " WHERE m.conversation_id = $1 AND m.user_id = $2 AND u.sender_id <> $2"
                           " AND u.deleted_at IS NULL"};

// The rows, then their attachments (no round trip when none has any).
Result<std::vector<MessageRow>> all_messages(Connection& db, Result<PgResult> r, bool reverse) {
  if (!r) return r.error();
  std::vector<MessageRow> out;
  out.reserve(static_cast<std::size_t>(r->rows()));
  for (int i = 0; i < r->rows(); ++i) out.push_back(read_message(*r, i, 0));
  if (reverse) std::reverse(out.begin(), out.end());
  if (Status s = fill_attachments(db, out); !s) return s.error();
  return out;
}

}  // namespace

Result<std::optional<MessageRow>> message_by_id(Connection& db, Id id) {
  auto r = db.run(by_id_sql, Params{}.add(id));
  if (!r) return r.error();
  if (r->rows() == 0) return std::optional<MessageRow>();
  std::optional<MessageRow> out(read_message(*r, 0, 0));
  if (Status s = fill_attachments(db, *out); !s) return s.error();
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

Result<MessageRow> soft_delete_message(Connection& db, Id message, TimeMs at) {
  auto r = db.run(soft_delete_sql, Params{}.add(message).add(at));
  if (!r) return r.error();
  if (r->rows() == 0) return Error::not_found("no such message");
  return read_message(*r, 0, 0);
}

Result<ReadState> advance_read(Connection& db, Id conversation, Id user, Seq seq) {
  auto r = db.run(advance_read_sql, Params{}.add(conversation).add(user).add(seq));
  if (!r) return r.error();
  if (r->rows() == 0) return Error::not_found("not a member of this conversation");
  return ReadState{conversation, r->i64(0, 0), r->i64(0, 1)};
}

Result<std::int64_t> unread_count(Connection& db, Id conversation, Id user) {
  auto r = db.run(unread_sql, Params{}.add(conversation).add(user));
  if (!r) return r.error();
  return r->i64(0, 0);
}

}  // namespace parley::store::postgres
