#include "store/postgres/pg_rows.hpp"

namespace parley::store::postgres {

UserRow read_user(const PgResult& r, int row, int first) {
  UserRow u;
  u.id = r.i64(row, first);
  u.username = r.text(row, first + 1);
  u.email = r.text(row, first + 2);
  u.display_name = r.text(row, first + 3);
  u.password_hash = r.text(row, first + 4);
  u.created_at = r.i64(row, first + 5);
  u.last_seen_at = r.i64(row, first + 6);
  return u;
}

UserRow read_public_user(const PgResult& r, int row, int first) {
  UserRow u;
  u.id = r.i64(row, first);
  u.username = r.text(row, first + 1);
  u.display_name = r.text(row, first + 2);
  u.created_at = r.i64(row, first + 3);
  u.last_seen_at = r.i64(row, first + 4);
  return u;
}

ConversationRow read_conversation(const PgResult& r, int row, int first) {
  ConversationRow c;
  c.id = r.i64(row, first);
  c.type = r.text(row, first + 1) == "direct" ? ConversationType::direct : ConversationType::group;
  c.title = r.text(row, first + 2);
  c.created_by = r.i64(row, first + 3);
  c.created_at = r.i64(row, first + 4);
  c.last_seq = r.i64(row, first + 5);
  c.last_activity_at = r.i64(row, first + 6);
  return c;
}

MemberRow read_member(const PgResult& r, int row, int first) {
  MemberRow m;
  m.conversation_id = r.i64(row, first);
  m.user_id = r.i64(row, first + 1);
  m.role = r.text(row, first + 2) == "admin" ? MemberRole::admin : MemberRole::member;
  m.last_read_seq = r.i64(row, first + 3);
  m.joined_at = r.i64(row, first + 4);
  return m;
}

MessageRow read_message(const PgResult& r, int row, int first) {
  MessageRow m;
  m.id = r.i64(row, first);
  m.conversation_id = r.i64(row, first + 1);
  m.seq = r.i64(row, first + 2);
  m.sender_id = r.i64(row, first + 3);
  m.body = r.text(row, first + 4);
  m.client_msg_id = r.text(row, first + 5);
  m.created_at = r.i64(row, first + 6);
  m.deleted_at = r.opt_i64(row, first + 7);
  return m;
}

const char* type_text(ConversationType type) { return type == ConversationType::direct ? "direct" : "group"; }

const char* role_text(MemberRole role) { return role == MemberRole::admin ? "admin" : "member"; }

}  // namespace parley::store::postgres
