#pragma once
// The conversations' and members' SQL, as free functions over a Connection:
// same semantics as the SQLite store's conversation_queries (store.hpp).
// The two writes run their own transaction on `db`.
//
// Thread-safety: the caller holds the Connection for the call.

#include <optional>
#include <vector>

#include "common/result.hpp"
#include "store/postgres/pg_connection.hpp"
#include "store/store.hpp"

namespace parley::store::postgres {

Result<CreatedConversation> create_conversation(Connection& db, const ConversationRow& row,
                                                const std::vector<MemberRow>& members);
Status update_conversation(Connection& db, Id conversation, const ConversationChange& change);
Result<std::optional<ConversationRow>> conversation_by_id(Connection& db, Id id);
Result<std::optional<MemberRow>> membership(Connection& db, Id conversation, Id user);
Status set_muted(Connection& db, Id conversation, Id user, bool muted);
Result<std::vector<MemberView>> members_of(Connection& db, Id conversation);
Result<std::vector<ConversationSummary>> conversations_of(Connection& db, Id user,
                                                          std::optional<ActivityCursor> cursor, int limit);
Result<std::optional<ConversationSummary>> conversation_summary(Connection& db, Id conversation, Id user);

}  // namespace parley::store::postgres
