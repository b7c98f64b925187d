#pragma once
// Column lists and decoders shared by the queries, in the same order as the
// SQLite store's (store/sqlite/rows.hpp): each decoder reads its columns from
// position `first` of row `row`. Stored enums are text; an unknown value
// decodes to the least privileged one.
//
// Thread-safety: pure functions.

#include "store/postgres/pg_connection.hpp"
#include "store/records.hpp"

// 7 columns.
#define PARLEY_PG_USER_COLUMNS(t) \
  t ".id, " t ".username, " t ".email, " t ".display_name, " t ".password_hash, " t ".created_at, " t ".last_seen_at"
// 5 columns: no email, no hash.
#define PARLEY_PG_PUBLIC_USER_COLUMNS(t) t ".id, " t ".username, " t ".display_name, " t ".created_at, " t ".last_seen_at"
// 7 columns.
#define PARLEY_PG_CONVERSATION_COLUMNS(t) \
  t ".id, " t ".type, " t ".title, " t ".created_by, " t ".created_at, " t ".last_seq, " t ".last_activity_at"
// 5 columns.
#define PARLEY_PG_MEMBER_COLUMNS(t) t ".conversation_id, " t ".user_id, " t ".role, " t ".last_read_seq, " t ".joined_at"
// 8 columns.
#define PARLEY_PG_MESSAGE_COLUMNS(t)                                                                              \
  t ".id, " t ".conversation_id, " t ".seq, " t ".sender_id, " t ".body, " t ".client_msg_id, " t ".created_at, " t \
    ".deleted_at"

namespace parley::store::postgres {

inline constexpr int conversation_column_count = 7;
inline constexpr int member_column_count = 5;
inline constexpr int message_column_count = 8;

UserRow read_user(const PgResult& r, int row, int first);
UserRow read_public_user(const PgResult& r, int row, int first);
ConversationRow read_conversation(const PgResult& r, int row, int first);
MemberRow read_member(const PgResult& r, int row, int first);
MessageRow read_message(const PgResult& r, int row, int first);

const char* type_text(ConversationType type);
const char* role_text(MemberRole role);

}  // namespace parley::store::postgres
