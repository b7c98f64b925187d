#include "store/sqlite/search_index.hpp"

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include "store/sqlite/message_details.hpp"
#include "store/sqlite/rows.hpp"

namespace parley::store::sqlite {

namespace {

constexpr const char* create_sql = R"sql(
CREATE VIRTUAL TABLE message_search USING fts5(
  body, content = 'messages', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2');
CREATE TRIGGER message_search_insert AFTER INSERT ON messages WHEN new.deleted_at IS NULL BEGIN
  INSERT INTO message_search (rowid, body) VALUES (new.id, new.body);
END;
CREATE TRIGGER message_search_update AFTER UPDATE OF body, deleted_at ON messages
  WHEN old.deleted_at IS NULL AND (new.body IS NOT old.body OR new.deleted_at IS NOT NULL) BEGIN
  INSERT INTO message_search (message_search, rowid, body) VALUES ('delete', old.id, old.body);
  INSERT INTO message_search (rowid, body) SELECT new.id, new.body WHERE new.deleted_at IS NULL;
END;
CREATE TRIGGER message_search_delete AFTER DELETE ON messages WHEN old.deleted_at IS NULL BEGIN
  INSERT INTO message_search (message_search, rowid, body) VALUES ('delete', old.id, old.body);
END;
INSERT INTO message_search (rowid, body) SELECT id, body FROM messages WHERE deleted_at IS NULL;
)sql";

constexpr const char* drop_sql = R"sql(
DROP TRIGGER IF EXISTS message_search_insert;
DROP TRIGGER IF EXISTS message_search_update;
DROP TRIGGER IF EXISTS message_search_delete;
DROP TABLE IF EXISTS message_search;
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
  // the page's rows and snippets (MATCH again, restricted to each rowid).
  Stmt st = db.prepare(
      "WITH hits AS ("
      " SELECT s.rowid AS id, s.rank AS rank FROM message_search s"
      " JOIN messages m ON m.id = s.rowid"
      " JOIN members mb ON mb.conversation_id = m.conversation_id AND mb.user_id = ?2"
      " WHERE message_search MATCH ?1 AND m.deleted_at IS NULL"
      "  AND (?3 IS NULL OR m.conversation_id = ?3) AND (?4 IS NULL OR m.id < ?4)"
      " ORDER BY s.rank, s.rowid DESC LIMIT ?5 OFFSET ?6)"
      " SELECT " PARLEY_MESSAGE_COLUMNS("m") ", snippet(message_search, 0, char(2), char(3), '…', 32)"
      " FROM hits h JOIN message_search ON message_search.rowid = h.id JOIN messages m ON m.id = h.id"
      " WHERE message_search MATCH ?1 ORDER BY h.rank, h.id DESC");
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

Status prepare_search_index(Connection& db, bool enabled) {
  const std::string& path = db.path();
  auto present = db.query_int(
      "SELECT count(*) FROM sqlite_schema WHERE (type = 'table' AND name = 'message_search') OR (type = 'trigger'"
      " AND name IN ('message_search_insert', 'message_search_update', 'message_search_delete'))");
  if (!present) return present.error();
  if (enabled && *present == 4) return Status::success();
  if (!enabled && *present == 0) return Status::success();
  const auto started = std::chrono::steady_clock::now();
  if (Status s = db.exec_status("BEGIN IMMEDIATE", path + ": search index"); !s) return s;
  Status s = db.exec_status(drop_sql, path + ": dropping the search index");
  if (s && enabled) s = db.exec_status(create_sql, path + ": building the search index");
  if (s) s = db.exec_status("COMMIT", path + ": search index");
  if (!s) {
    if (db.in_transaction()) db.exec("ROLLBACK");
    return s;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (enabled) {
    spdlog::info("sqlite: {}: built the search index in {:.3f} s", path, seconds);
  } else {
    spdlog::info("sqlite: {}: search index off: dropped it ({:.3f} s)", path, seconds);
  }
  return Status::success();
}

}  // namespace parley::store::sqlite
