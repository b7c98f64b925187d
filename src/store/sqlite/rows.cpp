#include "store/sqlite/rows.hpp"

namespace parley::store::sqlite {

UserRow read_user(const Stmt& st, int first) {
  UserRow u;
  u.id = st.i64(first);
  u.username = st.text(first + 1);
  u.email = st.text(first + 2);
  u.display_name = st.text(first + 3);
  u.password_hash = st.text(first + 4);
  u.created_at = st.i64(first + 5);
  u.last_seen_at = st.i64(first + 6);
  return u;
}

UserRow read_public_user(const Stmt& st, int first) {
  UserRow u;
  u.id = st.i64(first);
  u.username = st.text(first + 1);
  u.display_name = st.text(first + 2);
  u.created_at = st.i64(first + 3);
  u.last_seen_at = st.i64(first + 4);
  return u;
}

ConversationRow read_conversation(const Stmt& st, int first) {
  ConversationRow c;
  c.id = st.i64(first);
  c.type = st.text(first + 1) == "direct" ? ConversationType::direct : ConversationType::group;
  c.title = st.text(first + 2);
  c.created_by = st.i64(first + 3);
  c.created_at = st.i64(first + 4);
  c.last_seq = st.i64(first + 5);
  c.last_activity_at = st.i64(first + 6);
  return c;
}

MemberRow read_member(const Stmt& st, int first) {
  MemberRow m;
  m.conversation_id = st.i64(first);
  m.user_id = st.i64(first + 1);
  m.role = st.text(first + 2) == "admin" ? MemberRole::admin : MemberRole::member;
  m.last_read_seq = st.i64(first + 3);
  m.joined_at = st.i64(first + 4);
  return m;
}

MessageRow read_message(const Stmt& st, int first) {
  MessageRow m;
  m.id = st.i64(first);
  m.conversation_id = st.i64(first + 1);
  m.seq = st.i64(first + 2);
  m.sender_id = st.i64(first + 3);
  m.body = st.text(first + 4);
  m.client_msg_id = st.text(first + 5);
  m.created_at = st.i64(first + 6);
  m.deleted_at = st.opt_i64(first + 7);
  return m;
}

const char* type_text(ConversationType type) { return type == ConversationType::direct ? "direct" : "group"; }

const char* role_text(MemberRole role) { return role == MemberRole::admin ? "admin" : "member"; }

}  // namespace parley::store::sqlite
