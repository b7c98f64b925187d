#pragma once
// Full-text search over messages (docs/features.md, "Search"): the user's text
// becomes a tsquery that cannot fail to parse, matched against
// message_search.tsv (to_tsvector('parley_search', body): 'simple' with
// accents folded, migrations.cpp; GIN index; kept by search_indexer.hpp), with
// the caller's memberships joined into the query.
//
// Thread-safety: pure functions; the caller holds the Connection for the call.

#include <cstdint>
#include <optional>
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

// The search barrier (PostgresStore::search_messages). The conversations the
// search covers (the user's, or the one asked for if she is a member) whose
// index is behind, each with its last_change_seq now (`targets`); then
// whether any of them is still short of its target.
struct IndexTargets {
  std::vector<Id> conversations;
  std::vector<std::int64_t> change_seqs;
};
Result<IndexTargets> search_targets(Connection& db, Id user, std::optional<Id> conversation);
Result<bool> search_index_short_of(Connection& db, const IndexTargets& targets);

}  // namespace parley::store::postgres
