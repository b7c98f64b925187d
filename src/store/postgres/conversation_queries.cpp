#include "store/postgres/conversation_queries.hpp"

#include <string>
#include <string_view>

#include "store/postgres/message_extras.hpp"
#include "store/postgres/pg_rows.hpp"
#include "store/sqlite/text_keys.hpp"

namespace parley::store::postgres {

namespace {

// ON CONFLICT on the partial unique index: two nodes creating the same direct
// pair at once both succeed, one of them with the other's conversation (the
// loser waits for the winner's commit, then sees no row inserted).
const Statement insert_conversation_sql{
    "conversations_insert",
    "INSERT INTO conversations (id, type, title, direct_key, created_by, created_at, last_seq, last_activity_at)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    " ON CONFLICT (direct_key) WHERE direct_key IS NOT NULL DO NOTHING RETURNING id"};
const Statement direct_by_key_sql{"conversations_by_direct_key",
                                  "SELECT id FROM conversations WHERE direct_key = $1"};
// All members in one statement; rows already present are kept as they are.
const Statement insert_members_sql{
    "members_insert",
    "INSERT INTO members (conversation_id, user_id, role, last_read_seq, joined_at)"
    " SELECT $1, t.u, t.r, t.s, t.j FROM unnest($2::bigint[], $3::text[], $4::bigint[], $5::bigint[])"
    "   WITH ORDINALITY AS t(u, r, s, j, i) ORDER BY t.i"
    " ON CONFLICT (conversation_id, user_id) DO NOTHING"};
const Statement exists_sql{"conversations_exists", "SELECT 1 FROM conversations WHERE id = $1"};
const Statement set_title_sql{"conversations_set_title", "UPDATE conversations SET title = $2 WHERE id = $1"};
const Statement remove_members_sql{"members_remove",
                                   "DELETE FROM members WHERE conversation_id = $1 AND user_id = ANY ($2::bigint[])"};
const Statement set_muted_sql{"members_set_muted",
                              "UPDATE members SET muted = $3 WHERE conversation_id = $1 AND user_id = $2"};
const Statement by_id_sql{"conversations_by_id",
                          "SELECT " PARLEY_PG_CONVERSATION_COLUMNS("c") " FROM conversations c WHERE c.id = $1"};
const Statement membership_sql{"members_one", "SELECT " PARLEY_PG_MEMBER_COLUMNS("m") " FROM members m"
                                              " WHERE m.conversation_id = $1 AND m.user_id = $2"};
const Statement members_of_sql{"members_of", "SELECT " PARLEY_PG_MEMBER_COLUMNS("m") ", " PARLEY_PG_PUBLIC_USER_COLUMNS(
                                                 "u") " FROM members m JOIN users u ON u.id = m.user_id"
                                                      " WHERE m.conversation_id = $1"
                                                      " ORDER BY m.role = 'admin' DESC, m.joined_at, m.user_id"};

// The page of a user's memberships (LIMIT before the per-row subqueries), then
// each row's last message (possibly a tombstone), unread and mention counts.
// Columns: conversation (8), member (6), message (14), unread (1), mentions (1).
#define PARLEY_PG_SUMMARY_SQL(page_filter, page_limit)                                                         \
  "WITH page AS ("                                                                                             \
  " SELECT " PARLEY_PG_CONVERSATION_COLUMNS("c") ", m.conversation_id AS m_conversation_id,"                   \
  "  m.user_id AS m_user_id, m.role AS m_role, m.last_read_seq AS m_last_read_seq, m.joined_at AS m_joined_at," \
  "  m.muted AS m_muted"                                                                                       \
  " FROM members m JOIN conversations c ON c.id = m.conversation_id"                                           \
  " WHERE " page_filter " ORDER BY c.last_activity_at DESC, c.id DESC " page_limit ")"                         \
  " SELECT p.id, p.type, p.title, p.created_by, p.created_at, p.last_seq, p.last_activity_at, p.last_change_seq," \
  "  p.m_conversation_id, p.m_user_id, p.m_role, p.m_last_read_seq, p.m_joined_at, p.m_muted, "                \
  PARLEY_PG_MESSAGE_COLUMNS("l") ","                                                                           \
  "  (SELECT count(*) FROM messages u WHERE u.conversation_id = p.id AND u.seq > p.m_last_read_seq"            \
  "    AND u.sender_id <> p.m_user_id AND u.deleted_at IS NULL),"                                              \
  "  (SELECT count(*) FROM mentions mn WHERE mn.conversation_id = p.id AND mn.user_id = p.m_user_id"           \
  "    AND mn.seq > p.m_last_read_seq)"                                                                        \
  " FROM page p LEFT JOIN messages l ON l.conversation_id = p.id AND l.seq = p.last_seq"                       \
  " ORDER BY p.last_activity_at DESC, p.id DESC"

const Statement conversations_of_sql{
    "conversations_of",
    PARLEY_PG_SUMMARY_SQL("m.user_id = $1 AND ($2::bigint IS NULL OR c.last_activity_at < $2::bigint"
                          " OR (c.last_activity_at = $2::bigint AND c.id < $3::bigint))",
                          "LIMIT $4")};
const Statement summary_sql{"conversations_summary", PARLEY_PG_SUMMARY_SQL("m.conversation_id = $1 AND m.user_id = $2", "")};

ConversationSummary read_summary(const PgResult& r, int row) {
  ConversationSummary s;
  s.conversation = read_conversation(r, row, 0);
  s.self = read_member(r, row, conversation_column_count);
  constexpr int message_at = conversation_column_count + member_column_count;
  if (!r.is_null(row, message_at)) s.last_message = read_message(r, row, message_at);
  s.unread_count = r.i64(row, message_at + message_column_count);
  s.mention_count = r.i64(row, message_at + message_column_count + 1);
  return s;
}

// The last messages' attachments, reactions and reply quotes, in one query
// each for the whole list (none when no last message needs it).
Status fill_last_attachments(Connection& db, std::vector<ConversationSummary>& list) {
  std::vector<MessageRow*> last;
  for (ConversationSummary& s : list) {
    if (s.last_message) last.push_back(&*s.last_message);
  }
  return complete_messages(db, last);
}

Status insert_members(Connection& db, Id conversation, const std::vector<MemberRow>& members) {
  if (members.empty()) return Status::success();
  std::vector<Id> users;
  std::vector<std::string_view> roles;
  std::vector<std::int64_t> seqs;
  std::vector<std::int64_t> joined;
  for (const MemberRow& m : members) {
    users.push_back(m.user_id);
    roles.emplace_back(role_text(m.role));
    seqs.push_back(m.last_read_seq);
    joined.push_back(m.joined_at);
  }
  auto r = db.run(insert_members_sql, Params{}
                                          .add(conversation)
                                          .add(int_array(users))
                                          .add(text_array(roles))
                                          .add(int_array(seqs))
                                          .add(int_array(joined)));
  if (r) return Status::success();
  if (r.error().kind == ErrorKind::not_found) return Error::not_found("unknown user");
  return r.error();
}

// BEGIN, body, COMMIT; ROLLBACK on any failure. A COMMIT that fails (the
// connection dropped: outcome unknown) is unavailable.
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

}  // namespace

Result<CreatedConversation> create_conversation(Connection& db, const ConversationRow& row,
                                                const std::vector<MemberRow>& members) {
  std::optional<std::string> pair;
  if (row.type == ConversationType::direct && members.size() == 2) {
    pair = sqlite::direct_key(members[0].user_id, members[1].user_id);
  }
  return in_transaction<CreatedConversation>(db, [&]() -> Result<CreatedConversation> {
    Params p;
    p.add(row.id).add(type_text(row.type)).add(row.title);
    if (pair) {
      p.add(*pair);
    } else {
      p.add_null();
    }
    p.add(row.created_by).add(row.created_at).add(row.last_seq);
    p.add(row.last_activity_at != 0 ? row.last_activity_at : row.created_at);
    auto inserted = db.run(insert_conversation_sql, p);
    if (!inserted) {
      if (db.last_sqlstate() == "23505") return Error::conflict("id_taken", "a conversation with this id exists");
      return inserted.error();
    }
    if (inserted->rows() == 0) {
      auto existing = db.run(direct_by_key_sql, Params{}.add(*pair));
      if (!existing) return existing.error();
      if (existing->rows() == 0) return Error::unavailable("create_conversation: the direct pair vanished; retry");
      return CreatedConversation{existing->i64(0, 0), false};
    }
    if (Status s = insert_members(db, row.id, members); !s) return s.error();
    return CreatedConversation{row.id, true};
  });
}

Status update_conversation(Connection& db, Id conversation, const ConversationChange& change) {
  auto done = in_transaction<std::monostate>(db, [&]() -> Result<std::monostate> {
    auto exists = db.run(exists_sql, Params{}.add(conversation));
    if (!exists) return exists.error();
    if (exists->rows() == 0) return Error::not_found("no such conversation");
    if (change.title) {
      if (auto r = db.run(set_title_sql, Params{}.add(conversation).add(*change.title)); !r) return r.error();
    }
    if (Status s = insert_members(db, conversation, change.add); !s) return s.error();
    if (!change.remove.empty()) {
      auto r = db.run(remove_members_sql, Params{}.add(conversation).add(int_array(change.remove)));
      if (!r) return r.error();
    }
    return std::monostate{};
  });
  if (!done) return done.error();
  return Status::success();
}

Result<std::optional<ConversationRow>> conversation_by_id(Connection& db, Id id) {
  auto r = db.run(by_id_sql, Params{}.add(id));
  if (!r) return r.error();
  if (r->rows() == 0) return std::optional<ConversationRow>();
  return std::optional<ConversationRow>(read_conversation(*r, 0, 0));
}

Result<std::optional<MemberRow>> membership(Connection& db, Id conversation, Id user) {
  auto r = db.run(membership_sql, Params{}.add(conversation).add(user));
  if (!r) return r.error();
  if (r->rows() == 0) return std::optional<MemberRow>();
  return std::optional<MemberRow>(read_member(*r, 0, 0));
}

Status set_muted(Connection& db, Id conversation, Id user, bool muted) {
  auto r = db.run(set_muted_sql, Params{}.add(conversation).add(user).add(muted ? "true" : "false"));
  if (!r) return r.error();
  if (r->affected() == 0) return Error::not_found("not a member of this conversation");
  return Status::success();
}

Result<std::vector<MemberView>> members_of(Connection& db, Id conversation) {
  auto r = db.run(members_of_sql, Params{}.add(conversation));
  if (!r) return r.error();
  std::vector<MemberView> out;
  for (int i = 0; i < r->rows(); ++i) {
    out.push_back(MemberView{read_member(*r, i, 0), read_public_user(*r, i, member_column_count)});
  }
  return out;
}

Result<std::vector<ConversationSummary>> conversations_of(Connection& db, Id user,
                                                          std::optional<ActivityCursor> cursor, int limit) {
  std::vector<ConversationSummary> out;
  if (limit <= 0) return out;
  Params p;
  p.add(user);
  if (cursor) {
    p.add(cursor->last_activity_at).add(cursor->conversation_id);
  } else {
    p.add_null().add_null();
  }
  p.add(std::int64_t{limit});
  auto r = db.run(conversations_of_sql, p);
  if (!r) return r.error();
  for (int i = 0; i < r->rows(); ++i) out.push_back(read_summary(*r, i));
  if (Status s = fill_last_attachments(db, out); !s) return s.error();
  return out;
}

Result<std::optional<ConversationSummary>> conversation_summary(Connection& db, Id conversation, Id user) {
  auto r = db.run(summary_sql, Params{}.add(conversation).add(user));
  if (!r) return r.error();
  if (r->rows() == 0) return std::optional<ConversationSummary>();
  std::vector<ConversationSummary> one{read_summary(*r, 0)};
  if (Status s = fill_last_attachments(db, one); !s) return s.error();
  return std::optional<ConversationSummary>(std::move(one.front()));
}

}  // namespace parley::store::postgres
