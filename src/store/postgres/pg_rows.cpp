#include "store/postgres/pg_rows.hpp"

#include <algorithm>
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
  bool boolean() { return r_.boolean(row_, next_++); }

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
  c.last_change_seq = col.i64();
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
  m.muted = col.boolean();
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
  const std::int64_t attachments = std::clamp<std::int64_t>(col.i64(), 0, max_attachments_per_message);
  if (attachments > 0) m.attachments.resize(static_cast<std::size_t>(attachments));
  m.change_seq = col.i64();
  m.edited_at = col.opt_i64();
  m.reply_to_id = col.opt_i64();
  m.mentions = parse_int_array(col.text());
  if (col.i64() > 0) m.reactions.resize(1);  // placeholder: complete_messages reads them
  return m;
}

AttachmentRow read_attachment(const PgResult& r, int row, int first) {
  Columns col(r, row, first);
  AttachmentRow a;
  a.id = col.i64();
  a.conversation_id = col.i64();
  a.uploader_id = col.i64();
  a.message_id = col.opt_i64();
  a.name = col.text();
  a.content_type = col.text();
  a.size = col.i64();
  a.sha256 = col.text();
  a.blob_key = col.text();
  a.preview = preview_from_text(col.text());
  if (auto w = col.opt_i64()) a.width = static_cast<int>(*w);
  if (auto h = col.opt_i64()) a.height = static_cast<int>(*h);
  a.thumb_small_key = col.text();
  a.thumb_large_key = col.text();
  a.preview_error = col.text();
  a.created_at = col.i64();
  a.deleted_at = col.opt_i64();
  return a;
}

JobRow read_job(const PgResult& r, int row, int first) {
  Columns col(r, row, first);
  JobRow j;
  j.id = col.i64();
  j.kind = col.text();
  j.subject_id = col.i64();
  j.attempts = static_cast<int>(col.i64());
  j.run_after = col.i64();
  j.leased_until = col.i64();
  j.last_error = col.text();
  j.created_at = col.i64();
  return j;
}

std::vector<std::int64_t> parse_int_array(std::string_view text) {
  std::vector<std::int64_t> out;
  std::int64_t value = 0;
  bool negative = false;
  bool digits = false;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      value = value * 10 + (c - '0');
      digits = true;
    } else if (c == '-') {
      negative = true;
    } else {
      if (digits) out.push_back(negative ? -value : value);
      value = 0;
      negative = false;
      digits = false;
    }
  }
  return out;
}

const char* type_text(ConversationType type) { return type == ConversationType::direct ? "direct" : "group"; }

const char* role_text(MemberRole role) { return role == MemberRole::admin ? "admin" : "member"; }

const char* preview_text(PreviewState state) {
  switch (state) {
    case PreviewState::none: return "none";
    case PreviewState::pending: return "pending";
    case PreviewState::ready: return "ready";
    case PreviewState::failed: return "failed";
  }
  return "none";
}

PreviewState preview_from_text(std::string_view text) {
  if (text == "none") return PreviewState::none;
  if (text == "pending") return PreviewState::pending;
  if (text == "ready") return PreviewState::ready;
  return PreviewState::failed;
}

}  // namespace parley::store::postgres
