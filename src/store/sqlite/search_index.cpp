#include "store/sqlite/search_index.hpp"

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include "store/sqlite/attachment_queries.hpp"
#include "store/sqlite/message_details.hpp"
#include "store/sqlite/rows.hpp"

namespace parley::store::sqlite {

namespace {

constexpr const char* create_sql = R"sql(
CREATE VIRTUAL TABLE message_search USING fts5(
  body, content = 'messages', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2');
INSERT INTO message_search (message_search) VALUES ('rebuild');
)sql";

// Triggers of an earlier build of this schema version (dropped if present).
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
  // the page's rows and snippets (MATCH again, restricted to each rowid):
  // snippet() reads and tokenizes the body again, so only for the page.
  Stmt st = db.prepare(
      "WITH hits AS ("
      " SELECT s.rowid AS id, s.rank AS rank FROM message_search s"
      " JOIN messages m ON m.id = s.rowid"
      " JOIN members mb ON mb.conversation_id = m.conversation_id AND mb.user_id = ?2"
      " WHERE message_search MATCH ?1 AND m.deleted_at IS NULL"
      "  AND (?3 IS NULL OR m.conversation_id = ?3) AND (?4 IS NULL OR m.id < ?4)"
      " ORDER BY s.rank, s.rowid DESC LIMIT ?5 OFFSET ?6)"
      " SELECT " PARLEY_MESSAGE_COLUMNS("m") ", snippet(message_search, 0, char(2), char(3), '…', 32)"
      // CROSS JOIN fixes the loop order: for each hit, the FTS5 lookup by
      // rowid (MATCH and rowid = ?), not a second full MATCH scan.
      " FROM hits h CROSS JOIN message_search CROSS JOIN messages m"
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

void SearchPending::appended(Id message) {
  if (ids_.insert(message).second) job_.push_back(message);
}

Status SearchPending::replace(Connection& db, Id message, std::string_view old_body, std::string_view new_body) {
  if (contains(message)) return Status::success();  // before_commit reads the body as it is then
  {
    Stmt st = db.prepare("INSERT INTO message_search (message_search, rowid, body) VALUES ('delete', ?1, ?2)");
    st.bind(1, message).bind_static(2, old_body);
    if (!st.run()) return st.error("search index: delete");
  }
  Stmt st = db.prepare("INSERT INTO message_search (rowid, body) VALUES (?1, ?2)");
  st.bind(1, message).bind_static(2, new_body);
  if (!st.run()) return st.error("search index: insert");
  return Status::success();
}

Status SearchPending::before_commit(Connection& db) {
  if (ids_.empty()) return Status::success();
  std::vector<Id> ids(ids_.begin(), ids_.end());
  Stmt st = db.prepare("INSERT INTO message_search (rowid, body)"
                       " SELECT m.id, m.body FROM json_each(?1) j JOIN messages m ON m.id = j.value");
  st.bind(1, json_id_list(ids));
  if (!st.run()) return st.error("search index");
  return Status::success();
}

void SearchPending::job_rolled_back() {
  for (Id id : job_) ids_.erase(id);
  job_.clear();
}

void SearchPending::transaction_ended() {
  ids_.clear();
  job_.clear();
}

Status prepare_search_index(Connection& db, bool enabled) {
  const std::string& path = db.path();
  auto table = db.query_int("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'message_search'");
  if (!table) return table.error();
  auto triggers = db.query_int("SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND name LIKE 'message_search%'");
  if (!triggers) return triggers.error();
  if (*triggers == 0 && (*table != 0) == enabled) return Status::success();
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
