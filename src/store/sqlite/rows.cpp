#include "store/sqlite/rows.hpp"

#include <algorithm>
#include <charconv>

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
  c.last_change_seq = st.i64(first + 7);
  return c;
}

MemberRow read_member(const Stmt& st, int first) {
  MemberRow m;
  m.conversation_id = st.i64(first);
  m.user_id = st.i64(first + 1);
  m.role = st.text(first + 2) == "admin" ? MemberRole::admin : MemberRole::member;
  m.last_read_seq = st.i64(first + 3);
  m.joined_at = st.i64(first + 4);
  m.muted = st.i64(first + 5) != 0;
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
  const std::int64_t attachments = std::clamp<std::int64_t>(st.i64(first + 8), 0, max_attachments_per_message);
  if (attachments > 0) m.attachments.resize(static_cast<std::size_t>(attachments));
  m.change_seq = st.i64(first + 9);
  m.edited_at = st.opt_i64(first + 10);
  m.reply_to_id = st.opt_i64(first + 11);
  if (m.reply_to_id) m.reply_to.emplace();  // placeholder: fill_message_details reads the parent
  if (!st.is_null(first + 12)) m.mentions = mentions_from_text(st.text(first + 12));
  if (st.i64(first + 13) > 0) m.reactions.resize(1);  // placeholder: fill_message_details reads them
  return m;
}

AttachmentRow read_attachment(const Stmt& st, int first) {
  AttachmentRow a;
  a.id = st.i64(first);
  a.conversation_id = st.i64(first + 1);
  a.uploader_id = st.i64(first + 2);
  a.message_id = st.opt_i64(first + 3);
  a.name = st.text(first + 4);
  a.content_type = st.text(first + 5);
  a.size = st.i64(first + 6);
  a.sha256 = st.text(first + 7);
  a.blob_key = st.text(first + 8);
  a.preview = preview_from_text(st.text(first + 9));
  if (auto w = st.opt_i64(first + 10)) a.width = static_cast<int>(*w);
  if (auto h = st.opt_i64(first + 11)) a.height = static_cast<int>(*h);
  a.thumb_small_key = st.text(first + 12);
  a.thumb_large_key = st.text(first + 13);
  a.preview_error = st.text(first + 14);
  a.created_at = st.i64(first + 15);
  a.deleted_at = st.opt_i64(first + 16);
  return a;
}

JobRow read_job(const Stmt& st, int first) {
  JobRow j;
  j.id = st.i64(first);
  j.kind = st.text(first + 1);
  j.subject_id = st.i64(first + 2);
  j.attempts = static_cast<int>(st.i64(first + 3));
  j.run_after = st.i64(first + 4);
  j.leased_until = st.i64(first + 5);
  j.last_error = st.text(first + 6);
  j.created_at = st.i64(first + 7);
  return j;
}

void normalize_mentions(std::vector<Id>& ids) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
}

std::optional<std::string> mentions_text(const std::vector<Id>& ids) {
  if (ids.empty()) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) out += ',';
    out += std::to_string(ids[i]);
  }
  return out;
}

std::vector<Id> mentions_from_text(std::string_view text) {
  std::vector<Id> out;
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t end = text.find(',', at);
    if (end == std::string_view::npos) end = text.size();
    Id value = 0;
    auto [ptr, ec] = std::from_chars(text.data() + at, text.data() + end, value);
    if (ec == std::errc() && ptr == text.data() + end) out.push_back(value);
    at = end + 1;
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

// Unknown text (bad data) reads as failed: shown as a plain file.
PreviewState preview_from_text(std::string_view text) {
  if (text == "none") return PreviewState::none;
  if (text == "pending") return PreviewState::pending;
  if (text == "ready") return PreviewState::ready;
  return PreviewState::failed;
}

}  // namespace parley::store::sqlite
