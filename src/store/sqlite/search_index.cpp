#include "store/sqlite/search_index.hpp"

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <algorithm>
#include <vector>

#include "store/sqlite/message_details.hpp"
#include "store/sqlite/rows.hpp"

namespace parley::store::sqlite {

namespace {

// The index of an earlier build of schema version 4, inside parley.db (now in
// its own file: search_indexer.hpp), and its triggers: dropped if present.
constexpr const char* drop_sql = R"sql(
DROP TRIGGER IF EXISTS message_search_insert;
DROP TRIGGER IF EXISTS message_search_update;
DROP TRIGGER IF EXISTS message_search_delete;
DROP TABLE IF EXISTS main.message_search;
)sql";

bool is_word_byte(unsigned char c) {
  return c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

}  // namespace

std::string fts_query(std::string_view text) {
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && !is_word_byte(static_cast<unsigned char>(text[i]))) ++i;
    std::size_t start = i;
    while (i < text.size() && is_word_byte(static_cast<unsigned char>(text[i]))) ++i;
    if (i > start) words.push_back(text.substr(start, i - start));
  }
  std::string out;
  for (std::size_t w = 0; w < words.size(); ++w) {
    if (w > 0) out += " AND ";
    // A word holds no '"' (a separator), so quoting it needs no escape.
    out += '"';
    out += words[w];
    out += '"';
  }
  if (!out.empty()) out += '*';
  return out;
}

Result<std::vector<SearchHit>> search_messages(Connection& db, const SearchQuery& query) {
  std::vector<SearchHit> out;
  const std::string match = fts_query(query.text);
  if (match.empty() || query.limit <= 0) return out;
  // hits: the page, ranked; membership is a join of the query itself. Then
  // the page's rows and snippets (MATCH again, restricted to each rowid):
  // snippet() reads and tokenizes the body again, so only for the page.
  Stmt st = db.prepare(
      "WITH hits AS ("
      " SELECT s.rowid AS id, s.rank AS rank FROM search.message_search s"
      " JOIN messages m ON m.id = s.rowid"
      " JOIN members mb ON mb.conversation_id = m.conversation_id AND mb.user_id = ?2"
      " WHERE message_search MATCH ?1 AND m.deleted_at IS NULL"
      "  AND (?3 IS NULL OR m.conversation_id = ?3) AND (?4 IS NULL OR m.id < ?4)"
      " ORDER BY s.rank, s.rowid DESC LIMIT ?5 OFFSET ?6)"
      " SELECT " PARLEY_MESSAGE_COLUMNS("m") ", snippet(message_search, 0, char(2), char(3), '…', 32)"
      // CROSS JOIN fixes the loop order: for each hit, the FTS5 lookup by
      // rowid (MATCH and rowid = ?), not a second full MATCH scan.
      " FROM hits h CROSS JOIN search.message_search CROSS JOIN messages m"
      " WHERE message_search MATCH ?1 AND message_search.rowid = h.id AND m.id = h.id"
      " ORDER BY h.rank, h.id DESC");
  st.bind(1, match).bind(2, query.user).bind_opt(3, query.conversation).bind_opt(4, query.before);
  st.bind(5, std::int64_t{query.limit}).bind(6, std::int64_t{std::max(0, query.offset)});
  while (st.step() == SQLITE_ROW) {
    SearchHit hit;
    hit.message = read_message(st, 0);
    hit.snippet = st.text(message_column_count);
    out.push_back(std::move(hit));
  }
  if (st.rc() != SQLITE_DONE) return st.error("search_messages");
  { Stmt done = std::move(st); }
  std::vector<MessageRow*> rows;
  for (SearchHit& h : out) rows.push_back(&h.message);
  if (Status s = fill_message_details(db, rows); !s) return s.error();
  return out;
}

std::string search_db_path(const std::string& db_path) { return db_path + "-search.db"; }

Status attach_search_db(Connection& db, const std::string& search_path) {
  Stmt st = db.prepare("ATTACH DATABASE ?1 AS search");
  st.bind(1, search_path);
  if (!st.run()) return st.error(db.path() + ": attaching " + search_path);
  return Status::success();
}

Status drop_legacy_search_index(Connection& db) {
  const std::string& path = db.path();
  auto found = db.query_int("SELECT count(*) FROM main.sqlite_schema WHERE name LIKE 'message_search%'");
  if (!found) return found.error();
  if (*found == 0) return Status::success();
  if (Status s = db.exec_status("BEGIN IMMEDIATE", path + ": search index"); !s) return s;
  Status s = db.exec_status(drop_sql, path + ": dropping the in-file search index");
  if (s) s = db.exec_status("COMMIT", path + ": search index");
  if (!s) {
    if (db.in_transaction()) db.exec("ROLLBACK");
    return s;
  }
  spdlog::info("sqlite: {}: dropped the in-file search index (now in {})", path, search_db_path(path));
  return Status::success();
}

}  // namespace parley::store::sqlite
