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

#include "store/records.hpp"
#include "store/sqlite/statement.hpp"

// 7 columns.
#define PARLEY_USER_COLUMNS(t) \
  t ".id, " t ".username, " t ".email, " t ".display_name, " t ".password_hash, " t ".created_at, " t ".last_seen_at"
// 5 columns: no email, no hash.
#define PARLEY_PUBLIC_USER_COLUMNS(t) \
  t ".id, " t ".username, " t ".display_name, " t ".created_at, " t ".last_seen_at"
// 7 columns.
#define PARLEY_CONVERSATION_COLUMNS(t)                                                                    \
  t ".id, " t ".type, " t ".title, " t ".created_by, " t ".created_at, " t ".last_seq, " t ".last_activity_at"
// 5 columns.
#define PARLEY_MEMBER_COLUMNS(t) \
  t ".conversation_id, " t ".user_id, " t ".role, " t ".last_read_seq, " t ".joined_at"
// 8 columns.
#define PARLEY_MESSAGE_COLUMNS(t)                                                                        \
  t ".id, " t ".conversation_id, " t ".seq, " t ".sender_id, " t ".body, " t ".client_msg_id, " t         \
    ".created_at, " t ".deleted_at"

namespace parley::store::sqlite {

inline constexpr int user_column_count = 7;
inline constexpr int public_user_column_count = 5;
inline constexpr int conversation_column_count = 7;
inline constexpr int member_column_count = 5;
inline constexpr int message_column_count = 8;

UserRow read_user(const Stmt& st, int first);
UserRow read_public_user(const Stmt& st, int first);
ConversationRow read_conversation(const Stmt& st, int first);
MemberRow read_member(const Stmt& st, int first);
MessageRow read_message(const Stmt& st, int first);

const char* type_text(ConversationType type);
const char* role_text(MemberRole role);

}  // namespace parley::store::sqlite
