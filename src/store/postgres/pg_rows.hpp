#pragma once
// Column lists and decoders shared by the queries, in the same order as the
// SQLite store's (store/sqlite/rows.hpp): each decoder reads its columns from
// position `first` of row `row`. Stored enums are text; an unknown value
// decodes to the least privileged one.
//
// Thread-safety: pure functions.

#include <cstdint>
#include <string_view>
#include <vector>

#include "store/postgres/pg_connection.hpp"
#include "store/records.hpp"

// 7 columns.
#define PARLEY_PG_USER_COLUMNS(t) \
  t ".id, " t ".username, " t ".email, " t ".display_name, " t ".password_hash, " t ".created_at, " t ".last_seen_at"
// 5 columns: no email, no hash.
#define PARLEY_PG_PUBLIC_USER_COLUMNS(t) t ".id, " t ".username, " t ".display_name, " t ".created_at, " t ".last_seen_at"
// 8 columns.
#define PARLEY_PG_CONVERSATION_COLUMNS(t)                                                                  \
  t ".id, " t ".type, " t ".title, " t ".created_by, " t ".created_at, " t ".last_seq, " t ".last_activity_at, " t \
    ".last_change_seq"
// 6 columns.
#define PARLEY_PG_MEMBER_COLUMNS(t) \
  t ".conversation_id, " t ".user_id, " t ".role, " t ".last_read_seq, " t ".joined_at, " t ".muted"
// 14 columns. attachment_count and reaction_count are not fields: read_message
// leaves that many placeholders in `attachments` (and one in `reactions` when
// the message has any), which complete_messages (message_extras.hpp) replaces
// with the rows; it also fills reply_to from reply_to_id. `mentions` is an
// array column read whole (no extra query).
#define PARLEY_PG_MESSAGE_COLUMNS(t)                                                                              \
  t ".id, " t ".conversation_id, " t ".seq, " t ".sender_id, " t ".body, " t ".client_msg_id, " t ".created_at, " t \
    ".deleted_at, " t ".attachment_count, " t ".change_seq, " t ".edited_at, " t ".reply_to_id, " t ".mentions, " t  \
    ".reaction_count"
// 17 columns.
#define PARLEY_PG_ATTACHMENT_COLUMNS(t)                                                                            \
  t ".id, " t ".conversation_id, " t ".uploader_id, " t ".message_id, " t ".name, " t ".content_type, " t         \
    ".size, " t ".sha256, " t ".blob_key, " t ".preview, " t ".width, " t ".height, " t ".thumb_small_key, " t \
    ".thumb_large_key, " t ".preview_error, " t ".created_at, " t ".deleted_at"
// 8 columns.
#define PARLEY_PG_JOB_COLUMNS(t) \
  t ".id, " t ".kind, " t ".subject_id, " t ".attempts, " t ".run_after, " t ".leased_until, " t ".last_error, " t ".created_at"

namespace parley::store::postgres {

inline constexpr int conversation_column_count = 8;
inline constexpr int member_column_count = 6;
inline constexpr int message_column_count = 14;
inline constexpr int attachment_column_count = 17;
// Most placeholders read_message leaves (bad data must not allocate without bound).
inline constexpr std::int64_t max_attachments_per_message = 1000;

UserRow read_user(const PgResult& r, int row, int first);
UserRow read_public_user(const PgResult& r, int row, int first);
ConversationRow read_conversation(const PgResult& r, int row, int first);
MemberRow read_member(const PgResult& r, int row, int first);
MessageRow read_message(const PgResult& r, int row, int first);
AttachmentRow read_attachment(const PgResult& r, int row, int first);
JobRow read_job(const PgResult& r, int row, int first);
// A bigint[] in PostgreSQL's text form ("{1,2,3}"); anything else is skipped.
std::vector<std::int64_t> parse_int_array(std::string_view text);

const char* type_text(ConversationType type);
const char* role_text(MemberRole role);
const char* preview_text(PreviewState state);
// Unknown text (bad data) reads as failed: shown as a plain file.
PreviewState preview_from_text(std::string_view text);

}  // namespace parley::store::postgres
