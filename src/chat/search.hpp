#pragma once
// Message search (docs/features.md, "Search"): GET /api/search over the
// caller's conversations only, through Store::search_messages (SQLite FTS5 in
// embedded mode, PostgreSQL full-text search in cluster mode).
//
// Thread-safety: search() blocks on the store: worker threads only; any number
// concurrently. Ownership: borrows the store.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "store/store.hpp"

namespace parley::chat {

struct SearchInput {
  std::string q;                               // 1–200 characters after trimming: else bad_request "invalid_query"
  std::optional<std::string> conversation_id = {};  // only this conversation (the caller must be a member: else not_found)
  std::optional<std::string> before = {};           // a message id: only older messages
  std::optional<std::string> limit = {};            // 1–50, default 20
  std::optional<std::string> cursor = {};           // the previous page's nextCursor (opaque to clients)
};

struct SearchPage {
  std::vector<store::SearchHit> hits;
  std::optional<std::string> next_cursor;  // none: no more results
};

class Search {
 public:
  static constexpr int kDefaultLimit = 20;
  static constexpr int kMaxLimit = 50;
  static constexpr int kMaxOffset = 1000;  // deeper pages: refine the query

  explicit Search(store::Store& store) : store_(store) {}

  // unavailable "search_disabled" when the server runs with --search-index off.
  Result<SearchPage> search(Id caller, const SearchInput& input);

  // The input checked and turned into the store's query (no store read):
  // bad_request invalid_query / invalid_limit / invalid_cursor / invalid_before;
  // not_found for a malformed conversation id.
  static Result<store::SearchQuery> query(Id caller, const SearchInput& input);
  // A cursor is "o:<offset>", offset in 1..kMaxOffset-1: the results already
  // shown. Clients treat it as opaque; anything else is invalid_cursor.
  static std::string encode_cursor(int offset);
  static std::optional<int> decode_cursor(std::string_view cursor);

 private:
  store::Store& store_;
};

}  // namespace parley::chat
