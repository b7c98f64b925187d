#pragma once
// Full-text search over messages (docs/features.md, "Search"): the user's text
// becomes a tsquery that cannot fail to parse, matched against
// messages.search_vector (to_tsvector('parley_search', body): 'simple'
// with accents folded, migrations.cpp; GIN index), with the
// caller's memberships joined into the query.
//
// Thread-safety: pure functions; the caller holds the Connection for the call.

#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "store/postgres/pg_connection.hpp"
#include "store/store.hpp"

namespace parley::store::postgres {

// The words of `text` (runs of ASCII letters and digits or of non-ASCII
// bytes; anything else separates), each as a quoted lexeme ('' doubled, backslash
// escaped), joined with &, the last with :* (a prefix): e.g. "it's ok" ->
// 'it' & 's' & 'ok':*. Empty when the text has no word.
std::string tsquery_of(std::string_view text);

Result<std::vector<SearchHit>> search_messages(Connection& db, const SearchQuery& query);

}  // namespace parley::store::postgres
