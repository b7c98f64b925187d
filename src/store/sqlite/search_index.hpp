#pragma once
// The full-text index of messages (docs/features.md, Search): an FTS5 table
// `message_search` with external content (the text stays in messages.body
// only; the index holds the tokens), tokenizer `unicode61 remove_diacritics 2`
// (case and accents folded, no stemming), keyed by message id.
//
// Kept by three triggers on messages, so that the index changes in the very
// statement (hence transaction) that changes a body: an append is still one
// INSERT statement (AppendJob stays atomic), an edit or a deletion one UPDATE.
// Deleted messages (body '') are not in it.
//
// --search-index off: prepare_search_index drops the table and the triggers, so
// no write pays for it; switching it on again creates and fills the index from
// messages in one transaction at open, before the store serves (logged, with
// its time).
//
// Thread-safety: call at open, on the write connection, before the writer starts.

#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "store/records.hpp"
#include "store/sqlite/connection.hpp"
#include "store/store.hpp"

namespace parley::store::sqlite {

Status prepare_search_index(Connection& db, bool enabled);

// The FTS5 query for what a user typed: words (runs of ASCII letters and digits
// and of non-ASCII bytes; any other ASCII byte separates words, as for the
// tokenizer), each quoted as an FTS5 string so that nothing in the input is
// syntax, joined with AND, the last one a prefix ("word"*). Empty when the text
// has no word.
std::string fts_query(std::string_view text);

// Store::search_messages on a reader, the index being on. Ranked by bm25, ties
// newest (highest id) first; snippets of at most 32 tokens with kSnippetOpen /
// kSnippetClose around matches and "…" where cut. Only the page's snippets are
// computed (the ranking runs first, alone).
Result<std::vector<SearchHit>> search_messages(Connection& db, const SearchQuery& query);

}  // namespace parley::store::sqlite
