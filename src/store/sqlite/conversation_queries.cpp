#include "store/sqlite/conversation_queries.hpp"

#include <sqlite3.h>

#include "store/sqlite/message_details.hpp"
#include "store/sqlite/errors.hpp"
#include "store/sqlite/rows.hpp"
#include "store/sqlite/text_keys.hpp"

namespace parley::store::sqlite {

namespace {

constexpr const char* insert_member_sql =
    "INSERT INTO members (conversation_id, user_id, role, last_read_seq, joined_at, muted)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (conversation_id, user_id) DO NOTHING";

Result<std::monostate> insert_member(Connection& db, Id conversation, const MemberRow& m, const char* context) {
  Stmt st = db.prepare(insert_member_sql);
  st.bind(1, conversation).bind(2, m.user_id).bind(3, role_text(m.role)).bind(4, m.last_read_seq).bind(5, m.joined_at);
  st.bind(6, std::int64_t{m.muted ? 1 : 0});
  if (st.run()) return std::monostate{};
  if (st.rc() == SQLITE_CONSTRAINT_FOREIGNKEY) return Error::not_found("unknown user");
  return st.error(context);
}

Result<bool> conversation_exists(Connection& db, Id id, const char* context) {
  Stmt st = db.prepare("SELECT 1 FROM conversations WHERE id = ?1");
  st.bind(1, id);
  int rc = st.step();
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return st.error(context);
}

// The page of a user's memberships (LIMIT applies before the subselects run),
// then each row's last message (possibly a tombstone), unread and mention counts.
// Columns: conversation (8), member (6), message (14), unread (1), mentions (1).
#define PARLEY_SUMMARY_SQL(page_filter, page_limit)                                                       \
  "WITH page AS ("                                                                                        \
  " SELECT " PARLEY_CONVERSATION_COLUMNS("c") ", m.conversation_id AS m_conversation_id,"                 \
  "  m.user_id AS m_user_id, m.role AS m_role, m.last_read_seq AS m_last_read_seq,"                       \
  "  m.joined_at AS m_joined_at, m.muted AS m_muted"                                                      \
  " FROM members m JOIN conversations c ON c.id = m.conversation_id"                                      \
  " WHERE " page_filter                                                                                   \
  " ORDER BY c.last_activity_at DESC, c.id DESC " page_limit ")"                                          \
  " SELECT p.id, p.type, p.title, p.created_by, p.created_at, p.last_seq, p.last_activity_at,"            \
  "  p.last_change_seq, p.m_conversation_id, p.m_user_id, p.m_role, p.m_last_read_seq, p.m_joined_at,"    \
  "  p.m_muted, " PARLEY_MESSAGE_COLUMNS("l") ","                                                         \
  "  (SELECT count(*) FROM messages u WHERE u.conversation_id = p.id AND u.seq > p.m_last_read_seq"       \
  "    AND u.sender_id <> p.m_user_id AND u.deleted_at IS NULL),"                                         \
  "  (SELECT count(*) FROM mentions n WHERE n.conversation_id = p.id AND n.user_id = p.m_user_id"         \
  "    AND n.seq > p.m_last_read_seq)"                                                                    \
  " FROM page p LEFT JOIN messages l ON l.conversation_id = p.id AND l.seq = p.last_seq"                  \
  " ORDER BY p.last_activity_at DESC, p.id DESC"

// The last messages' attachments, replies and reactions: one query each for the
// whole list, and only when one of them has any.
Status fill_last_attachments(Connection& db, std::vector<ConversationSummary>& list) {
  std::vector<MessageRow*> last;
  for (ConversationSummary& s : list) {
    if (s.last_message) last.push_back(&*s.last_message);
  }
  return fill_message_details(db, last);
}

ConversationSummary read_summary(const Stmt& st) {
  ConversationSummary s;
  s.conversation = read_conversation(st, 0);
  s.self = read_member(st, conversation_column_count);
  constexpr int message_at = conversation_column_count + member_column_count;
  if (!st.is_null(message_at)) s.last_message = read_message(st, message_at);
  s.unread_count = st.i64(message_at + message_column_count);
  s.mention_count = st.i64(message_at + message_column_count + 1);
  return s;
}

}  // namespace

Result<CreatedConversation> create_conversation(Connection& db, const ConversationRow& row,
                                                const std::vector<MemberRow>& members) {
  std::optional<std::string> pair;
  if (row.type == ConversationType::direct && members.size() == 2) {
    pair = direct_key(members[0].user_id, members[1].user_id);
    Stmt st = db.prepare("SELECT id FROM conversations WHERE direct_key = ?1");
    st.bind(1, *pair);
    int rc = st.step();
    if (rc == SQLITE_ROW) return CreatedConversation{st.i64(0), false};
    if (rc != SQLITE_DONE) return st.error("create_conversation");
  }
  Stmt st = db.prepare(
      "INSERT INTO conversations (id, type, title, direct_key, created_by, created_at, last_seq, last_activity_at)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  st.bind(1, row.id).bind(2, type_text(row.type)).bind(3, row.title).bind(5, row.created_by).bind(6, row.created_at);
  if (pair) {
    st.bind(4, *pair);
  } else {
    st.bind_null(4);
  }
  st.bind(7, row.last_seq).bind(8, row.last_activity_at != 0 ? row.last_activity_at : row.created_at);
  if (!st.run()) {
    if (is_constraint(st.rc())) return Error::conflict("id_taken", "a conversation with this id exists");
    return st.error("create_conversation");
  }
  for (const MemberRow& m : members) {
    auto added = insert_member(db, row.id, m, "create_conversation");
    if (!added) return added.error();
  }
  return CreatedConversation{row.id, true};
}

Result<std::monostate> update_conversation(Connection& db, Id conversation, const ConversationChange& change) {
  auto exists = conversation_exists(db, conversation, "update_conversation");
  if (!exists) return exists.error();
  if (!*exists) return Error::not_found("no such conversation");
  if (change.title) {
    Stmt st = db.prepare("UPDATE conversations SET title = ?2 WHERE id = ?1");
    st.bind(1, conversation).bind(2, *change.title);
    if (!st.run()) return st.error("update_conversation");
  }
  for (const MemberRow& m : change.add) {
    auto added = insert_member(db, conversation, m, "update_conversation");
    if (!added) return added.error();
  }
  for (Id user : change.remove) {
    Stmt st = db.prepare("DELETE FROM members WHERE conversation_id = ?1 AND user_id = ?2");
    st.bind(1, conversation).bind(2, user);
    if (!st.run()) return st.error("update_conversation");
  }
  return std::monostate{};
}

Result<std::optional<ConversationRow>> conversation_by_id(Connection& db, Id id) {
  Stmt st = db.prepare("SELECT " PARLEY_CONVERSATION_COLUMNS("c") " FROM conversations c WHERE c.id = ?1");
  st.bind(1, id);
  int rc = st.step();
  if (rc == SQLITE_ROW) return std::optional<ConversationRow>(read_conversation(st, 0));
  if (rc == SQLITE_DONE) return std::optional<ConversationRow>();
  return st.error("conversation_by_id");
}

Result<std::optional<MemberRow>> membership(Connection& db, Id conversation, Id user) {
  Stmt st = db.prepare("SELECT " PARLEY_MEMBER_COLUMNS("m") " FROM members m"
                       " WHERE m.conversation_id = ?1 AND m.user_id = ?2");
  st.bind(1, conversation).bind(2, user);
  int rc = st.step();
  if (rc == SQLITE_ROW) return std::optional<MemberRow>(read_member(st, 0));
  if (rc == SQLITE_DONE) return std::optional<MemberRow>();
  return st.error("membership");
}

Result<std::vector<Id>> contacts_of(Connection& db, Id user) {
  Stmt st = db.prepare(
      "SELECT DISTINCT other.user_id FROM members self"
      " JOIN members other ON other.conversation_id = self.conversation_id"
      " WHERE self.user_id = ?1 AND other.user_id <> ?1");
  st.bind(1, user);
  std::vector<Id> out;
  while (st.step() == SQLITE_ROW) out.push_back(st.i64(0));
  if (st.rc() != SQLITE_DONE) return st.error("contacts_of");
  return out;
}

Result<std::vector<MemberView>> members_of(Connection& db, Id conversation) {
  Stmt st = db.prepare("SELECT " PARLEY_MEMBER_COLUMNS("m") ", " PARLEY_PUBLIC_USER_COLUMNS("u")
                       " FROM members m JOIN users u ON u.id = m.user_id WHERE m.conversation_id = ?1"
                       " ORDER BY m.role = 'admin' DESC, m.joined_at, m.user_id");
  st.bind(1, conversation);
  std::vector<MemberView> out;
  while (st.step() == SQLITE_ROW) {
    out.push_back(MemberView{read_member(st, 0), read_public_user(st, member_column_count)});
  }
  if (st.rc() != SQLITE_DONE) return st.error("members_of");
  return out;
}

Result<std::vector<ConversationSummary>> conversations_of(Connection& db, Id user,
                                                          std::optional<ActivityCursor> cursor, int limit) {
  std::vector<ConversationSummary> out;
  if (limit <= 0) return out;
  Stmt st = db.prepare(PARLEY_SUMMARY_SQL(
      "m.user_id = ?1 AND (?2 IS NULL OR c.last_activity_at < ?2 OR (c.last_activity_at = ?2 AND c.id < ?3))",
      "LIMIT ?4"));
  st.bind(1, user).bind(4, limit);
  if (cursor) {
    st.bind(2, cursor->last_activity_at).bind(3, cursor->conversation_id);
  } else {
    st.bind_null(2).bind_null(3);
  }
  while (st.step() == SQLITE_ROW) out.push_back(read_summary(st));
  if (st.rc() != SQLITE_DONE) return st.error("conversations_of");
  if (Status s = fill_last_attachments(db, out); !s) return s.error();
  return out;
}

Result<std::optional<ConversationSummary>> conversation_summary(Connection& db, Id conversation, Id user) {
  Stmt st = db.prepare(PARLEY_SUMMARY_SQL("m.conversation_id = ?1 AND m.user_id = ?2", ""));
  st.bind(1, conversation).bind(2, user);
  int rc = st.step();
  if (rc == SQLITE_DONE) return std::optional<ConversationSummary>();
  if (rc != SQLITE_ROW) return st.error("conversation_summary");
  std::vector<ConversationSummary> one{read_summary(st)};
  if (Status s = fill_last_attachments(db, one); !s) return s.error();
  return std::optional<ConversationSummary>(std::move(one.front()));
}

}  // namespace parley::store::sqlite
