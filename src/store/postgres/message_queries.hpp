#pragma once
// The messages' SQL other than appending (appender.hpp batches those): same
// semantics as the SQLite store's message_queries (store.hpp).
//
// Thread-safety: the caller holds the Connection for the call.

#include <optional>
#include <vector>

#include "common/result.hpp"
#include "store/postgres/pg_connection.hpp"
#include "store/store.hpp"

namespace parley::store::postgres {

Result<std::optional<MessageRow>> message_by_id(Connection& db, Id id);
Result<std::vector<MessageRow>> messages(Connection& db, Id conversation, std::optional<Seq> before,
                                         std::optional<Seq> after, int limit);
Result<MessageRow> soft_delete_message(Connection& db, Id message, TimeMs at);
Result<ReadState> advance_read(Connection& db, Id conversation, Id user, Seq seq);
Result<std::int64_t> unread_count(Connection& db, Id conversation, Id user);

}  // namespace parley::store::postgres
