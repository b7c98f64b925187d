#pragma once
// What a message row does not hold itself, read for a whole page at once:
// its attachments (attachment_queries.hpp), the message each reply quotes, and
// its reactions. read_message (rows.hpp) leaves placeholders for these; each
// kind costs one query for the page, and none when no message of the page has
// any (the common page: no query at all).
//
// Thread-safety: none of its own; uses the Connection it is given.

#include <span>
#include <vector>

#include "common/result.hpp"
#include "store/records.hpp"
#include "store/sqlite/connection.hpp"

namespace parley::store::sqlite {

// Null pointers are skipped.
Status fill_message_details(Connection& db, std::span<MessageRow* const> messages);
Status fill_message_details(Connection& db, std::vector<MessageRow>& messages);
Status fill_message_details(Connection& db, MessageRow& message);

}  // namespace parley::store::sqlite
