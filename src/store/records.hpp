#pragma once
// Plain rows the Store reads and writes. No behaviour; the chat layer owns the rules.
// Times are milliseconds since the Unix epoch (UTC). Ids are snowflakes (common/ids.hpp).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/ids.hpp"

namespace parley::store {

using Seq = std::int64_t;

struct UserRow {
  Id id = 0;
  std::string username;       // as typed at registration; unique ignoring case
  std::string email;          // unique ignoring case
  std::string display_name;
  std::string password_hash;  // argon2id string; never leaves the server
  TimeMs created_at = 0;
  TimeMs last_seen_at = 0;    // 0 = never
};

enum class ConversationType { direct, group };
enum class MemberRole { member, admin };

struct ConversationRow {
  Id id = 0;
  ConversationType type = ConversationType::group;
  std::string title;  // empty for direct conversations
  Id created_by = 0;
  TimeMs created_at = 0;
  Seq last_seq = 0;            // seq of the newest message, 0 if none
  TimeMs last_activity_at = 0; // newest message's time, else created_at; sorts the list
};

struct MemberRow {
  Id conversation_id = 0;
  Id user_id = 0;
  MemberRole role = MemberRole::member;
  Seq last_read_seq = 0;
  TimeMs joined_at = 0;
};

struct MessageRow {
  Id id = 0;
  Id conversation_id = 0;
  Seq seq = 0;
  Id sender_id = 0;
  std::string body;            // empty once deleted
  std::string client_msg_id;
  TimeMs created_at = 0;
  std::optional<TimeMs> deleted_at;
};

// A member joined with the public part of its user, for rendering member lists.
struct MemberView {
  MemberRow member;
  UserRow user;  // password_hash and email are left empty by the store
};

// One entry of a user's conversation list.
struct ConversationSummary {
  ConversationRow conversation;
  MemberRow self;                          // the caller's membership (lastReadSeq)
  std::optional<MessageRow> last_message;  // tombstone if the newest was deleted
  std::int64_t unread_count = 0;
};

// Keyset cursor for the conversation list: strictly older than (activity, id).
struct ActivityCursor {
  TimeMs last_activity_at = 0;
  Id conversation_id = 0;
};

}  // namespace parley::store
