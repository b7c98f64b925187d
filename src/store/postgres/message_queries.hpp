#pragma once
// The messages' SQL other than appending (appender.hpp batches those): same
// semantics as the SQLite store's message_queries (store.hpp). Every read
// fills the whole row (message_extras.hpp).
//
// Changes to an existing message (edit, reaction, deletion) lock the
// conversation row first, as the appender does, then take the next
// change_seq: changes of one conversation serialize on that row, so its
// change sequence has no gap and no repeat, and no two orders of locking meet.
//
// Thread-safety: the caller holds the Connection for the call.

#include <optional>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "store/postgres/pg_connection.hpp"
#include "store/store.hpp"

namespace parley::store::postgres {

Result<std::optional<MessageRow>> message_by_id(Connection& db, Id id);
Result<std::vector<MessageRow>> messages(Connection& db, Id conversation, std::optional<Seq> before,
                                         std::optional<Seq> after, int limit);
Result<std::vector<MessageRow>> changed_messages(Connection& db, Id conversation, Seq after_change, int limit);
// Each runs its own transaction on `db`. None writes the search index: the
// search indexer (search_indexer.hpp) follows the change sequence.
Result<MessageRow> soft_delete_message(Connection& db, Id message, TimeMs at);
Result<MessageRow> edit_message(Connection& db, Id message, std::string_view body, const std::vector<Id>& mentions,
                                TimeMs at);
Result<ReactionChange> set_reaction(Connection& db, Id message, Id user, std::string_view emoji, bool on, TimeMs at,
                                    int max_distinct);
Result<ReadState> advance_read(Connection& db, Id conversation, Id user, Seq seq);
Result<std::int64_t> unread_count(Connection& db, Id conversation, Id user);

// Mentions as stored: ascending, distinct.
std::vector<Id> normalized_mentions(const std::vector<Id>& mentions);

}  // namespace parley::store::postgres
