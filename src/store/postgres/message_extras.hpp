#pragma once
// What a message read needs beyond its own row (docs/features.md): its
// attachments, its reactions and the quote of the message it replies to. Each
// is one query for a whole page, and none (no round trip) when no message of
// the page needs it: read_message (pg_rows.hpp) leaves placeholders that say
// which do.
//
// Thread-safety: the caller holds the Connection for the call.

#include <span>
#include <vector>

#include "common/result.hpp"
#include "store/postgres/pg_connection.hpp"
#include "store/records.hpp"

namespace parley::store::postgres {

Status complete_messages(Connection& db, std::span<MessageRow* const> messages);
Status complete_messages(Connection& db, std::vector<MessageRow>& messages);
Status complete_messages(Connection& db, MessageRow& message);

// Only the reactions / only the reply quotes (complete_messages runs both).
Status fill_reactions(Connection& db, std::span<MessageRow* const> messages);
Status fill_replies(Connection& db, std::span<MessageRow* const> messages);

}  // namespace parley::store::postgres
