#pragma once
// Stmt: one use of a prepared statement. It borrows a statement from its
// Connection's cache (or owns a one-off copy when the cached one is already in
// use by an enclosing call) and, when it dies, resets it and clears its bindings
// so the next user finds it clean.
//
// A failed prepare or bind is remembered: step() then returns that error code,
// so callers check once, after stepping.
//
// Thread-safety: none. A Stmt lives on the thread that holds its Connection, for
// the duration of one call, and must not outlive the Connection.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace parley::store::sqlite {

class Stmt {
 public:
  // `in_use` is the cache slot's flag, cleared on destruction; null when owned.
  Stmt(sqlite3* db, sqlite3_stmt* stmt, bool* in_use, int prepare_rc, std::string prepare_error);
  Stmt(Stmt&& other) noexcept;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt& operator=(Stmt&&) = delete;
  ~Stmt();

  // Parameters are 1-based. Text is copied (SQLITE_TRANSIENT).
  Stmt& bind(int index, std::int64_t value);
  Stmt& bind(int index, std::string_view text);
  // Text NOT copied (SQLITE_STATIC): one malloc and copy less per value.
  // REQUIRES: the bytes stay valid and unchanged until this Stmt is destroyed
  // (its destructor clears the bindings).
  Stmt& bind_static(int index, std::string_view text);
  Stmt& bind_opt(int index, std::optional<std::int64_t> value);
  Stmt& bind_null(int index);

  // SQLITE_ROW, SQLITE_DONE, or an error code (also a remembered prepare/bind error).
  int step();
  // The last step()'s result.
  int rc() const { return rc_; }
  // Steps to completion of a statement that returns no rows; true on SQLITE_DONE.
  bool run();

  // Columns are 0-based. NULL reads as 0 / "".
  std::int64_t i64(int column) const;
  std::optional<std::int64_t> opt_i64(int column) const;
  std::string text(int column) const;
  bool is_null(int column) const;

  // The current failure as an Error, prefixed with `context`.
  Error error(std::string_view context) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
  bool* in_use_;  // null: owned, finalize on destruction
  int rc_;
  std::string prepare_error_;
};

}  // namespace parley::store::sqlite
