#include "store/postgres/pg_rows.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace parley::store::postgres {
namespace {

// Reads one row's columns left to right from `first`: a decoder names its
// fields in column order (the order of the PARLEY_PG_*_COLUMNS lists) and no
// offset has to be kept in step by hand.
class Columns {
 public:
  Columns(const PgResult& r, int row, int first) : r_(r), row_(row), next_(first) {}
  std::int64_t i64() { return r_.i64(row_, next_++); }
  std::optional<std::int64_t> opt_i64() { return r_.opt_i64(row_, next_++); }
  std::string text() { return r_.text(row_, next_++); }

 private:
  const PgResult& r_;
  int row_;
  int next_;
};

}  // namespace

UserRow read_user(const PgResult& r, int row, int first) {
  Columns col(r, row, first);
  UserRow u;
  u.id = col.i64();
  u.username = col.text();
  u.email = col.text();
  u.display_name = col.text();
  u.password_hash = col.text();
  u.created_at = col.i64();
  u.last_seen_at = col.i64();
  return u;
}

UserRow read_public_user(const PgResult& r, int row, int first) {
  Columns col(r, row, first);
  UserRow u;
  u.id = col.i64();
  u.username = col.text();
  u.display_name = col.text();
  u.created_at = col.i64();
  u.last_seen_at = col.i64();
  return u;
}

ConversationRow read_conversation(const PgResult& r, int row, int first) {
  Columns col(r, row, first);
  ConversationRow c;
  c.id = col.i64();
  c.type = col.text() == "direct" ? ConversationType::direct : ConversationType::group;
  c.title = col.text();
  c.created_by = col.i64();
  c.created_at = col.i64();
  c.last_seq = col.i64();
  c.last_activity_at = col.i64();
  return c;
}

MemberRow read_member(const PgResult& r, int row, int first) {
  Columns col(r, row, first);
  MemberRow m;
  m.conversation_id = col.i64();
  m.user_id = col.i64();
  m.role = col.text() == "admin" ? MemberRole::admin : MemberRole::member;
  m.last_read_seq = col.i64();
  m.joined_at = col.i64();
  return m;
}

MessageRow read_message(const PgResult& r, int row, int first) {
  Columns col(r, row, first);
  MessageRow m;
  m.id = col.i64();
  m.conversation_id = col.i64();
  m.seq = col.i64();
  m.sender_id = col.i64();
  m.body = col.text();
  m.client_msg_id = col.text();
  m.created_at = col.i64();
  m.deleted_at = col.opt_i64();
  return m;
}

const char* type_text(ConversationType type) { return type == ConversationType::direct ? "direct" : "group"; }

const char* role_text(MemberRole role) { return role == MemberRole::admin ? "admin" : "member"; }

}  // namespace parley::store::postgres
