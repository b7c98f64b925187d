#pragma once
// Connection: one sqlite3 handle and its cache of prepared statements.
//
// Ownership: owns the handle and every cached statement; the destructor
// finalizes the statements, then closes the handle (so sqlite3_close succeeds).
// Thread-safety: none. A Connection is used by one thread at a time (the writer
// thread, or the thread that checked it out of the ReaderPool); handles are
// opened with SQLITE_OPEN_NOMUTEX accordingly.

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/result.hpp"
#include "store/sqlite/statement.hpp"

struct sqlite3;

namespace parley::store::sqlite {

class Connection {
 public:
  // sqlite3_open_v2(path, flags | SQLITE_OPEN_NOMUTEX), extended result codes on.
  // With `uri`, opens that URI (SQLITE_OPEN_URI) instead; `path` still names the
  // file in errors. The error names the file. `vfs` names a registered VFS
  // (null: the default one).
  static Result<std::unique_ptr<Connection>> open(const std::string& path, int flags, const std::string& uri = {},
                                                  const char* vfs = nullptr);

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // A prepared statement for `sql`, cached by its text. If the cached one is in
  // use (a nested call), a one-off statement is prepared instead.
  Stmt prepare(std::string_view sql);

  // Runs one or more statements that return nothing of interest (DDL, pragmas,
  // BEGIN/COMMIT). Returns the SQLite result code.
  int exec(const char* sql);
  // exec() as a Status, the error prefixed with `context`.
  Status exec_status(const char* sql, std::string_view context);

  // The last failure on this handle as an Error, prefixed with `context`.
  Error error(int rc, std::string_view context) const;

  // Reads a single-integer pragma or query ("PRAGMA user_version").
  Result<std::int64_t> query_int(const char* sql);

  bool in_transaction() const;
  std::int64_t changes() const;
  sqlite3* handle() const { return db_; }
  const std::string& path() const { return path_; }

 private:
  struct CachedStatement {
    sqlite3_stmt* stmt = nullptr;
    bool in_use = false;
  };
  struct TextHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  Connection(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

  sqlite3* db_;
  std::string path_;
  std::unordered_map<std::string, CachedStatement, TextHash, std::equal_to<>> cache_;
};

}  // namespace parley::store::sqlite
