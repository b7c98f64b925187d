#pragma once
// The full-text index of messages (docs/features.md, Search): an FTS5 table
// `message_search` with external content (the text stays in messages.body
// only; the index holds the tokens), tokenizer `unicode61 remove_diacritics 2`
// (case and accents folded, no stemming), keyed by message id.
//
// Kept by the store in the transaction that changes a body, with explicit
// statements rather than triggers (measured: bench note in docs/storage.md).
// FTS5 writes its pending terms to disk at every savepoint it takes part in,
// and a trigger on messages gives every append INSERT a statement savepoint:
// one tiny index segment per message, which cost 3-5x the append throughput.
// Instead, appends only note the new message (SearchPending) and the index
// takes all of a transaction's new messages in ONE statement just before
// COMMIT (one segment per group commit). Edits and deletions (rare, already in
// a savepoint) replace the entry at once, unless the message is still pending
// (then the pending insert reads the current body).
// Every message has an entry, a deleted one (body '') an empty one: FTS5
// counts entries against its content table (bm25's averages, and
// 'integrity-check', which the tests run), so the two stay row for row.
//
// --search-index off: prepare_search_index drops the table and the triggers, so
// no write pays for it; switching it on again creates and fills the index from
// messages in one transaction at open, before the store serves (logged, with
// its time).
//
// Thread-safety: prepare_search_index at open, on the write connection, before
// the writer starts; SearchPending on the writer thread; search_messages on a reader.

#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "common/result.hpp"
#include "store/records.hpp"
#include "store/sqlite/connection.hpp"
#include "store/sqlite/writer.hpp"
#include "store/store.hpp"

namespace parley::store::sqlite {

Status prepare_search_index(Connection& db, bool enabled);

// The messages appended in the current write transaction, not yet in the
// index. Writer thread only; follows the jobs' savepoints like ConversationSeqs.
class SearchPending final : public TransactionState {
 public:
  void appended(Id message);
  bool contains(Id message) const { return ids_.count(message) != 0; }
  // A live message's body changes from `old_body` to `new_body` (an edit, or a
  // deletion to ''), in the current job: its entry follows now, unless pending.
  Status replace(Connection& db, Id message, std::string_view old_body, std::string_view new_body);

  Status before_commit(Connection& db) override;
  void job_released() override { job_.clear(); }
  void job_rolled_back() override;
  void transaction_ended() override;

 private:
  std::unordered_set<Id> ids_;
  std::vector<Id> job_;  // what the current job added
};

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
