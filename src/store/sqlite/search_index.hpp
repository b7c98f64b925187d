#pragma once
// The full-text index of messages (docs/features.md, Search), reader side.
//
// The index lives in its own file beside the database, `<db>-search.db`
// (synchronous=NORMAL: it can be rebuilt from parley.db), kept by the
// SearchIndexer thread (search_indexer.hpp) off the write path: the writer's
// transactions never touch it. It holds an FTS5 table `message_search` with
// its content (external content cannot point into another file), tokenizer
// `unicode61 remove_diacritics 2` (case and accents folded, no stemming),
// rowid = message id, an UNINDEXED conversation_id; deleted messages have no
// entry. An earlier build kept the index in parley.db, in the writer's
// transaction: persisted sends ran at 0.31 of the index off
// (bench/search-analysis.md); drop_legacy_search_index removes that table.
//
// Readers ATTACH search.db as `search`; search_messages first waits (bounded)
// for the indexer to have taken every commit made before the search
// (SearchIndexer::wait_caught_up, in SqliteStore), then queries.
//
// --search-index off: no indexer, no ATTACH; search.db is left as it is (or
// may be deleted). On again: the indexer catches up from its `indexed` table
// (from scratch when search.db is gone), in the background.
//
// Thread-safety: drop_legacy_search_index at open, on the write connection,
// before the writer starts; search_messages on a reader.

#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "store/records.hpp"
#include "store/sqlite/connection.hpp"
#include "store/store.hpp"

namespace parley::store::sqlite {

// `<db>-search.db`, beside the database file.
std::string search_db_path(const std::string& db_path);

// ATTACHes search.db to a reader as schema `search` (read-only like the reader).
Status attach_search_db(Connection& db, const std::string& search_path);

// At open, on the write connection: drops message_search (and its triggers)
// from parley.db, left there by an earlier build of schema version 4.
Status drop_legacy_search_index(Connection& db);

// The FTS5 query for what a user typed: words (runs of ASCII letters and digits
// and of non-ASCII bytes; any other ASCII byte separates words, as for the
// tokenizer), each quoted as an FTS5 string so that nothing in the input is
// syntax, joined with AND, the last one a prefix ("word"*). Empty when the text
// has no word.
std::string fts_query(std::string_view text);

// Store::search_messages on a reader with search.db attached (the index being
// on). Joined with parley.db's messages and members: membership, and
// `deleted_at IS NULL` so that a deletion is never shown even while the index
// lags; the row (body, edits) is parley.db's, the snippet the indexed text.
// Ranked by bm25, ties newest (highest id) first; snippets of at most 32 tokens with kSnippetOpen /
// kSnippetClose around matches and "…" where cut. Only the page's snippets are
// computed (the ranking runs first, alone).
Result<std::vector<SearchHit>> search_messages(Connection& db, const SearchQuery& query);

}  // namespace parley::store::sqlite
