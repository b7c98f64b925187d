#pragma once
// One libpq connection (PGconn) and the few ways Parley talks over it:
// parameters as text, statements prepared once per connection on first use,
// results owned by RAII handles, failures turned into parley::Error.
//
// Error mapping (docs/storage.md, "PostgreSQL"): a lost connection, a server
// shutting down, out of resources, a serialization failure or a deadlock is
// ErrorKind::unavailable ("the database cannot serve now, nothing changed");
// unique_violation is conflict, foreign_key_violation is not_found, a data
// exception (invalid UTF-8, a NUL byte) is bad_request "invalid_text", anything
// else internal. The SQLSTATE and constraint of the latest failure stay
// readable so that callers can tell which uniqueness rule was hit.
//
// Thread-safety: none. A Connection is used by one thread at a time (a pool
// lease or the appender thread that owns it). Any thread may destroy it.

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "common/result.hpp"

namespace parley::store::postgres {

// A statement prepared on each connection the first time it runs there. The
// name is the identity: give every distinct SQL its own constant.
struct Statement {
  const char* name;
  const char* sql;
};

// Positional parameters ($1, $2, ...), all sent as text.
class Params {
 public:
  Params& add(std::int64_t value);
  Params& add(std::string_view value);
  Params& add(const char* value) { return add(std::string_view(value)); }
  Params& add_null();
  Params& add(std::optional<std::int64_t> value) { return value ? add(*value) : add_null(); }

  int size() const { return static_cast<int>(values_.size()); }
  // A text value held a NUL byte: libpq passes text parameters as C strings,
  // so it would arrive cut short. run() refuses such a call (bad_request).
  bool has_nul() const { return has_nul_; }
  // Valid until the next add().
  std::vector<const char*> pointers() const;

 private:
  std::vector<std::optional<std::string>> values_;
  bool has_nul_ = false;
};

// Array literals for `$n::bigint[]` / `$n::text[]` parameters (multi-row statements via unnest).
std::string int_array(const std::vector<std::int64_t>& values);
std::string text_array(const std::vector<std::string_view>& values);

class PgResult {
 public:
  PgResult() = default;
  explicit PgResult(PGresult* r) : r_(r) {}

  int rows() const { return PQntuples(r_.get()); }
  bool is_null(int row, int col) const { return PQgetisnull(r_.get(), row, col) != 0; }
  std::string text(int row, int col) const;
  std::int64_t i64(int row, int col) const;
  std::optional<std::int64_t> opt_i64(int row, int col) const;
  bool boolean(int row, int col) const;
  // Rows an INSERT/UPDATE/DELETE touched.
  std::int64_t affected() const;

 private:
  struct Clear {
    void operator()(PGresult* r) const { PQclear(r); }
  };
  std::unique_ptr<PGresult, Clear> r_;
};

// The server a conninfo (URL or key=value) points at, for messages: never the password.
std::string describe_target(const std::string& conninfo);

class Connection {
 public:
  // Connects (blocking, bounded by connect_timeout_s). An unreachable or
  // refusing server is unavailable; the message names the target and carries
  // libpq's reason, never the password.
  static Result<std::unique_ptr<Connection>> connect(const std::string& conninfo, int connect_timeout_s);

  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // The connection is gone: every call fails with unavailable until replaced.
  bool broken() const;
  // For an idle connection: reads whatever the server sent meanwhile (a
  // terminated backend sends a FATAL message and closes), so that a
  // connection the server dropped is found broken before a call is sent on
  // it. One poll() without waiting. Returns !broken().
  bool probe();
  const std::string& target() const { return target_; }
  PGconn* handle() { return conn_; }

  // One command without parameters (BEGIN, COMMIT, DDL).
  Result<PgResult> exec(const char* sql);
  Result<PgResult> run(const Statement& statement, const Params& params);
  // ROLLBACK if the connection can still take it; errors ignored (the
  // transaction is over either way: a lost connection aborts it on the server).
  void rollback();

  // Of the latest failure; empty if it had none (the connection dropped).
  const std::string& last_sqlstate() const { return last_sqlstate_; }
  const std::string& last_constraint() const { return last_constraint_; }

 private:
  Connection(PGconn* conn, std::string target) : conn_(conn), target_(std::move(target)) {}
  Result<PgResult> check(PGresult* r, const char* context);

  PGconn* conn_;
  std::string target_;
  std::unordered_set<const char*> prepared_;
  std::string last_sqlstate_;
  std::string last_constraint_;
};

// Maps a SQLSTATE (may be empty: no server answer) to an ErrorKind, as described above.
ErrorKind kind_of_sqlstate(const std::string& sqlstate);

}  // namespace parley::store::postgres
