#pragma once
// SQL for conversations and their members. Writes run on the writer thread
// inside a job's savepoint; reads on a reader connection.
//
// Thread-safety: none of their own; each uses the Connection it is given.

#include <optional>
#include <variant>
#include <vector>

#include "common/result.hpp"
#include "store/records.hpp"
#include "store/sqlite/connection.hpp"
#include "store/store.hpp"

namespace parley::store::sqlite {

// A direct conversation with exactly two members is unique per pair
// (conversations.direct_key). Duplicate member rows are stored once; an unknown
// user is not_found (foreign key). last_activity_at defaults to created_at.
Result<CreatedConversation> create_conversation(Connection& db, const ConversationRow& row,
                                                const std::vector<MemberRow>& members);
// Title, then additions (existing members ignored), then removals (non-members
// ignored). not_found when the conversation is gone.
Result<std::monostate> update_conversation(Connection& db, Id conversation, const ConversationChange& change);

Result<std::optional<ConversationRow>> conversation_by_id(Connection& db, Id id);
Result<std::optional<MemberRow>> membership(Connection& db, Id conversation, Id user);
Result<std::vector<MemberView>> members_of(Connection& db, Id conversation);
Result<std::vector<Id>> contacts_of(Connection& db, Id user);
// One statement: the page of memberships, then for those rows only the last
// message and the unread count (subselects over the messages primary key).
Result<std::vector<ConversationSummary>> conversations_of(Connection& db, Id user,
                                                          std::optional<ActivityCursor> cursor, int limit);
Result<std::optional<ConversationSummary>> conversation_summary(Connection& db, Id conversation, Id user);

}  // namespace parley::store::sqlite
