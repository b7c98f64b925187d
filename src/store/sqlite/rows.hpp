#pragma once
// Column lists and decoders shared by the queries: each decoder reads the
// columns of its list from position `first` of the current row. The macros take
// the table alias as a string literal and expand to a literal, so that whole
// statements stay compile-time constants.
//
// Stored enums are text ('direct'/'group', 'member'/'admin'); an unknown value
// (bad data) decodes to the least privileged one instead of failing.
//
// Thread-safety: pure functions over a Stmt the caller holds.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/records.hpp"
#include "store/sqlite/statement.hpp"

// 7 columns.
#define PARLEY_USER_COLUMNS(t) \
  t ".id, " t ".username, " t ".email, " t ".display_name, " t ".password_hash, " t ".created_at, " t ".last_seen_at"
// 5 columns: no email, no hash.
#define PARLEY_PUBLIC_USER_COLUMNS(t) \
  t ".id, " t ".username, " t ".display_name, " t ".created_at, " t ".last_seen_at"
// 8 columns.
#define PARLEY_CONVERSATION_COLUMNS(t)                                                                    \
  t ".id, " t ".type, " t ".title, " t ".created_by, " t ".created_at, " t ".last_seq, " t ".last_activity_at, " t \
    ".last_change_seq"
// 6 columns.
#define PARLEY_MEMBER_COLUMNS(t) \
  t ".conversation_id, " t ".user_id, " t ".role, " t ".last_read_seq, " t ".joined_at, " t ".muted"
// 14 columns. attachment_count is not a field: read_message leaves that many
// placeholders in `attachments`, which fill_attachments (attachment_queries.hpp)
// replaces with the rows. Likewise reaction_count > 0 leaves one placeholder in
// `reactions` and reply_to_id a placeholder `reply_to`, which
// fill_message_details (message_details.hpp) replaces. mentions is the text
// "id,id,..." (or NULL), decoded here.
#define PARLEY_MESSAGE_COLUMNS(t)                                                                        \
  t ".id, " t ".conversation_id, " t ".seq, " t ".sender_id, " t ".body, " t ".client_msg_id, " t         \
    ".created_at, " t ".deleted_at, " t ".attachment_count, " t ".change_seq, " t ".edited_at, " t        \
    ".reply_to_id, " t ".mentions, " t ".reaction_count"
// 17 columns.
#define PARLEY_ATTACHMENT_COLUMNS(t)                                                                       \
  t ".id, " t ".conversation_id, " t ".uploader_id, " t ".message_id, " t ".name, " t ".content_type, " t \
    ".size, " t ".sha256, " t ".blob_key, " t ".preview, " t ".width, " t ".height, " t ".thumb_small_key, " t \
    ".thumb_large_key, " t ".preview_error, " t ".created_at, " t ".deleted_at"
// 8 columns.
#define PARLEY_JOB_COLUMNS(t) \
  t ".id, " t ".kind, " t ".subject_id, " t ".attempts, " t ".run_after, " t ".leased_until, " t ".last_error, " t ".created_at"

namespace parley::store::sqlite {

inline constexpr int user_column_count = 7;
inline constexpr int public_user_column_count = 5;
inline constexpr int conversation_column_count = 8;
inline constexpr int member_column_count = 6;
inline constexpr int message_column_count = 14;
inline constexpr int attachment_column_count = 17;
inline constexpr int job_column_count = 8;

UserRow read_user(const Stmt& st, int first);
UserRow read_public_user(const Stmt& st, int first);
ConversationRow read_conversation(const Stmt& st, int first);
MemberRow read_member(const Stmt& st, int first);
MessageRow read_message(const Stmt& st, int first);
AttachmentRow read_attachment(const Stmt& st, int first);
JobRow read_job(const Stmt& st, int first);

// messages.mentions: "1,2,3" for {1,2,3}; NULL (nullopt) for none. Decoding
// skips anything that is not a number (bad data). normalize_mentions sorts and
// deduplicates (the contract's order, whatever the caller passed).
void normalize_mentions(std::vector<Id>& ids);
std::optional<std::string> mentions_text(const std::vector<Id>& ids);
std::vector<Id> mentions_from_text(std::string_view text);

const char* type_text(ConversationType type);
const char* role_text(MemberRole role);
const char* preview_text(PreviewState state);
PreviewState preview_from_text(std::string_view text);
// Most placeholders read_message leaves (bad data must not allocate without bound).
inline constexpr std::int64_t max_attachments_per_message = 1000;

}  // namespace parley::store::sqlite
