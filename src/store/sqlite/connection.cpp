#include "store/sqlite/connection.hpp"

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include "store/sqlite/errors.hpp"

namespace parley::store::sqlite {

Result<std::unique_ptr<Connection>> Connection::open(const std::string& path, int flags, const std::string& uri,
                                                      const char* vfs) {
  sqlite3* db = nullptr;
  if (!uri.empty()) flags |= SQLITE_OPEN_URI;
  int rc = sqlite3_open_v2(uri.empty() ? path.c_str() : uri.c_str(), &db, flags | SQLITE_OPEN_NOMUTEX, vfs);
  if (rc != SQLITE_OK) {
    std::string message = "cannot open database " + path + ": " +
                          (db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close(db);
    return map_error(rc, std::move(message));
  }
  sqlite3_extended_result_codes(db, 1);
  return std::unique_ptr<Connection>(new Connection(db, path));
}

Connection::~Connection() {
  for (auto& [sql, cached] : cache_) {
    if (cached.in_use) spdlog::error("sqlite: closing {} while a statement is in use", path_);
    sqlite3_finalize(cached.stmt);
  }
  cache_.clear();
  int rc = sqlite3_close(db_);
  if (rc != SQLITE_OK) {
    // A Stmt outlived its Connection: a bug. Let SQLite close once it is finalized.
    spdlog::error("sqlite: close {} failed: {}", path_, sqlite3_errstr(rc));
    sqlite3_close_v2(db_);
  }
}

Stmt Connection::prepare(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end() && !it->second.in_use) {
    it->second.in_use = true;
    return Stmt(db_, it->second.stmt, &it->second.in_use, SQLITE_OK, {});
  }
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt,
                              nullptr);
  if (rc != SQLITE_OK) {
    std::string message = sqlite3_errmsg(db_);
    spdlog::error("sqlite: prepare failed ({}): {}", message, sql);
    sqlite3_finalize(stmt);
    return Stmt(db_, nullptr, nullptr, rc, std::move(message));
  }
  if (it != cache_.end()) return Stmt(db_, stmt, nullptr, SQLITE_OK, {});  // nested use: one-off
  auto& slot = cache_[std::string(sql)];
  slot.stmt = stmt;
  slot.in_use = true;
  return Stmt(db_, stmt, &slot.in_use, SQLITE_OK, {});
}

int Connection::exec(const char* sql) { return sqlite3_exec(db_, sql, nullptr, nullptr, nullptr); }

Status Connection::exec_status(const char* sql, std::string_view context) {
  int rc = exec(sql);
  if (rc != SQLITE_OK) return error(rc, context);
  return Status::success();
}

Error Connection::error(int rc, std::string_view context) const {
  std::string message(context);
  message += ": ";
  message += sqlite3_errmsg(db_);
  return map_error(rc, std::move(message));
}

Result<std::int64_t> Connection::query_int(const char* sql) {
  Stmt st = prepare(sql);
  if (st.step() != SQLITE_ROW) return st.error(sql);
  return st.i64(0);
}

bool Connection::in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

std::int64_t Connection::changes() const { return sqlite3_changes64(db_); }

}  // namespace parley::store::sqlite
