#include "store/sqlite/statement.hpp"

#include <sqlite3.h>

#include <utility>

#include "store/sqlite/errors.hpp"

namespace parley::store::sqlite {

Stmt::Stmt(sqlite3* db, sqlite3_stmt* stmt, bool* in_use, int prepare_rc, std::string prepare_error)
    : db_(db), stmt_(stmt), in_use_(in_use), rc_(prepare_rc), prepare_error_(std::move(prepare_error)) {}

Stmt::Stmt(Stmt&& other) noexcept
    : db_(other.db_),
      stmt_(std::exchange(other.stmt_, nullptr)),
      in_use_(std::exchange(other.in_use_, nullptr)),
      rc_(other.rc_),
      prepare_error_(std::move(other.prepare_error_)) {}

Stmt::~Stmt() {
  if (stmt_ == nullptr) return;
  if (in_use_ == nullptr) {
    sqlite3_finalize(stmt_);
    return;
  }
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  *in_use_ = false;
}

namespace {
bool failed(int rc) { return rc != SQLITE_OK && rc != SQLITE_ROW && rc != SQLITE_DONE; }
}  // namespace

Stmt& Stmt::bind(int index, std::int64_t value) {
  if (stmt_ == nullptr || failed(rc_)) return *this;
  int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK) rc_ = rc;
  return *this;
}

Stmt& Stmt::bind(int index, std::string_view text) {
  if (stmt_ == nullptr || failed(rc_)) return *this;
  int rc = sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK) rc_ = rc;
  return *this;
}

Stmt& Stmt::bind_static(int index, std::string_view text) {
  if (stmt_ == nullptr || failed(rc_)) return *this;
  int rc = sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8);
  if (rc != SQLITE_OK) rc_ = rc;
  return *this;
}

Stmt& Stmt::bind_opt(int index, std::optional<std::int64_t> value) {
  return value ? bind(index, *value) : bind_null(index);
}

Stmt& Stmt::bind_null(int index) {
  if (stmt_ == nullptr || failed(rc_)) return *this;
  int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK) rc_ = rc;
  return *this;
}

int Stmt::step() {
  if (stmt_ == nullptr || failed(rc_)) {
    if (!failed(rc_)) rc_ = SQLITE_MISUSE;
    return rc_;
  }
  rc_ = sqlite3_step(stmt_);
  return rc_;
}

bool Stmt::run() {
  while (step() == SQLITE_ROW) {
  }
  return rc_ == SQLITE_DONE;
}

std::int64_t Stmt::i64(int column) const { return sqlite3_column_int64(stmt_, column); }

std::optional<std::int64_t> Stmt::opt_i64(int column) const {
  if (is_null(column)) return std::nullopt;
  return sqlite3_column_int64(stmt_, column);
}

std::string Stmt::text(int column) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  if (p == nullptr) return {};
  return std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
}

bool Stmt::is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

Error Stmt::error(std::string_view context) const {
  std::string message(context);
  message += ": ";
  if (!prepare_error_.empty()) {
    message += prepare_error_;
  } else if (db_ != nullptr) {
    message += sqlite3_errmsg(db_);
  } else {
    message += sqlite3_errstr(rc_);
  }
  return map_error(rc_, std::move(message));
}

}  // namespace parley::store::sqlite
