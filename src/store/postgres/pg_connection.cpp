#include "store/postgres/pg_connection.hpp"

#include <spdlog/spdlog.h>

#include <poll.h>

#include <charconv>
#include <cstdlib>
#include <utility>

namespace parley::store::postgres {

namespace {

// Connection defaults placed BEFORE dbname: with expand_dbname, settings in the
// URL or conninfo come later and win, so an operator can override any of them.
// Keepalives and tcp_user_timeout bound how long a call can hang on a server
// that vanished without closing the socket.
constexpr const char* default_keys[] = {"application_name", "keepalives", "keepalives_idle", "keepalives_interval",
                                        "keepalives_count", "tcp_user_timeout", "connect_timeout", "dbname", nullptr};

std::string conninfo_value(PQconninfoOption* options, const char* key) {
  for (PQconninfoOption* o = options; o != nullptr && o->keyword != nullptr; ++o) {
    if (std::string_view(o->keyword) == key && o->val != nullptr) return o->val;
  }
  return {};
}

// libpq never puts the password in its messages; this is a second guard. A
// short password is left alone: masking it would garble ordinary words
// ("parley" in "parley_test") and hide little.
std::string without_password(std::string text, const std::string& password) {
  if (password.size() < 8) return text;
  for (std::size_t at = text.find(password); at != std::string::npos; at = text.find(password, at)) {
    text.replace(at, password.size(), "***");
  }
  return text;
}

std::string trimmed(const char* message) {
  std::string out = message != nullptr ? message : "";
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

}  // namespace

Params& Params::add(std::int64_t value) {
  values_.emplace_back(std::to_string(value));
  return *this;
}

Params& Params::add(std::string_view value) {
  if (value.find('\0') != std::string_view::npos) has_nul_ = true;
  values_.emplace_back(std::string(value));
  return *this;
}

Params& Params::add_null() {
  values_.emplace_back(std::nullopt);
  return *this;
}

std::vector<const char*> Params::pointers() const {
  std::vector<const char*> out;
  out.reserve(values_.size());
  for (const auto& v : values_) out.push_back(v ? v->c_str() : nullptr);
  return out;
}

std::string int_array(const std::vector<std::int64_t>& values) {
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i != 0) out += ',';
    out += std::to_string(values[i]);
  }
  out += '}';
  return out;
}

std::string text_array(const std::vector<std::string_view>& values) {
  // Every element quoted, so that empty strings, commas, braces, spaces and the
  // word NULL stay plain text; only '"' and '\' need escaping inside quotes.
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i != 0) out += ',';
    out += '"';
    for (char c : values[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

std::string PgResult::text(int row, int col) const {
  return std::string(PQgetvalue(r_.get(), row, col), static_cast<std::size_t>(PQgetlength(r_.get(), row, col)));
}

std::int64_t PgResult::i64(int row, int col) const {
  const char* v = PQgetvalue(r_.get(), row, col);
  std::int64_t out = 0;
  std::from_chars(v, v + PQgetlength(r_.get(), row, col), out);
  return out;
}

std::optional<std::int64_t> PgResult::opt_i64(int row, int col) const {
  if (is_null(row, col)) return std::nullopt;
  return i64(row, col);
}

bool PgResult::boolean(int row, int col) const { return PQgetvalue(r_.get(), row, col)[0] == 't'; }

std::int64_t PgResult::affected() const {
  const char* n = PQcmdTuples(r_.get());
  return n != nullptr && *n != '\0' ? std::strtoll(n, nullptr, 10) : 0;
}

std::string describe_target(const std::string& conninfo) {
  char* err = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &err);
  if (options == nullptr) {
    std::string reason = trimmed(err);
    PQfreemem(err);
    return "postgres (invalid connection string: " + reason + ")";
  }
  std::string db = conninfo_value(options, "dbname");
  std::string host = conninfo_value(options, "host");
  if (host.empty()) host = conninfo_value(options, "hostaddr");
  std::string port = conninfo_value(options, "port");
  PQconninfoFree(options);
  std::string out = "postgres database \"" + (db.empty() ? std::string("(default)") : db) + "\"";
  if (!host.empty()) out += " at " + host + (port.empty() ? "" : ":" + port);
  return out;
}

Result<std::unique_ptr<Connection>> Connection::connect(const std::string& conninfo, int connect_timeout_s) {
  std::string target = describe_target(conninfo);
  std::string password;
  if (PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), nullptr)) {
    password = conninfo_value(options, "password");
    PQconninfoFree(options);
  } else {
    return Error::bad_request("invalid_store", target);
  }
  std::string timeout = std::to_string(connect_timeout_s < 1 ? 1 : connect_timeout_s);
  std::string user_timeout = std::to_string((connect_timeout_s < 1 ? 1 : connect_timeout_s) * 2000);
  const char* values[] = {"parley", "1", "10", "5", "3", user_timeout.c_str(), timeout.c_str(), conninfo.c_str(),
                          nullptr};
  PGconn* conn = PQconnectdbParams(default_keys, values, 1);
  if (conn == nullptr) return Error::unavailable(target + ": out of memory for a connection");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string reason = without_password(trimmed(PQerrorMessage(conn)), password);
    PQfinish(conn);
    return Error::unavailable(target + " unreachable: " + reason);
  }
  // Server notices ("relation already exists, skipping") are not errors: to the debug log.
  PQsetNoticeProcessor(
      conn, [](void*, const char* message) { spdlog::debug("postgres notice: {}", trimmed(message)); }, nullptr);
  // Every request is acknowledged only once durable (the default, made explicit
  // so that a server-wide `synchronous_commit = off` cannot weaken it).
  PGresult* r = PQexec(conn, "SET synchronous_commit = on");
  bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  PQclear(r);
  if (!ok) {
    std::string reason = trimmed(PQerrorMessage(conn));
    PQfinish(conn);
    return Error::unavailable(target + ": " + reason);
  }
  return std::unique_ptr<Connection>(new Connection(conn, std::move(target)));
}

Connection::~Connection() { PQfinish(conn_); }

bool Connection::broken() const { return PQstatus(conn_) != CONNECTION_OK; }

bool Connection::probe() {
  // A terminated backend sends its FATAL message, then closes: the first read
  // returns the message, a later one the end of the stream. A few rounds at
  // most: an idle connection has nothing else to say (no LISTEN here).
  for (int round = 0; round < 4 && !broken(); ++round) {
    pollfd fd{PQsocket(conn_), POLLIN, 0};
    if (fd.fd < 0) return false;
    if (::poll(&fd, 1, 0) <= 0) break;
    if (PQconsumeInput(conn_) == 0) return false;
    while (PGnotify* n = PQnotifies(conn_)) PQfreemem(n);
  }
  return !broken();
}

Result<PgResult> Connection::check(PGresult* r, const char* context) {
  ExecStatusType status = r != nullptr ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
    last_sqlstate_.clear();
    last_constraint_.clear();
    return PgResult(r);
  }
  const char* state = r != nullptr ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  const char* constraint = r != nullptr ? PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME) : nullptr;
  last_sqlstate_ = state != nullptr ? state : "";
  last_constraint_ = constraint != nullptr ? constraint : "";
  std::string message = target_ + ": " + context + ": " +
                        trimmed(r != nullptr ? PQresultErrorMessage(r) : PQerrorMessage(conn_));
  if (r != nullptr) PQclear(r);
  // A broken connection outranks whatever SQLSTATE the last message carried.
  ErrorKind kind = broken() ? ErrorKind::unavailable : kind_of_sqlstate(last_sqlstate_);
  switch (kind) {
    case ErrorKind::unavailable:
      return Error::unavailable(std::move(message));
    case ErrorKind::conflict:
      return Error::conflict("conflict", std::move(message));
    case ErrorKind::not_found:
      return Error::not_found(std::move(message));
    case ErrorKind::bad_request:
      return Error::bad_request("invalid_text", std::move(message));
    default:
      return Error::internal(std::move(message));
  }
}

Result<PgResult> Connection::exec(const char* sql) {
  if (broken()) return Error::unavailable(target_ + ": connection lost");
  return check(PQexec(conn_, sql), sql);
}

Result<PgResult> Connection::run(const Statement& statement, const Params& params) {
  if (broken()) return Error::unavailable(target_ + ": connection lost");
  if (params.has_nul()) {
    last_sqlstate_ = "22021";
    last_constraint_.clear();
    return Error::bad_request("invalid_text", std::string(statement.name) + ": text contains a NUL character");
  }
  if (!prepared_.contains(statement.name)) {
    auto prepared = check(PQprepare(conn_, statement.name, statement.sql, 0, nullptr), statement.name);
    if (!prepared) return prepared.error();
    prepared_.insert(statement.name);
  }
  std::vector<const char*> values = params.pointers();
  return check(PQexecPrepared(conn_, statement.name, params.size(), values.data(), nullptr, nullptr, 0),
               statement.name);
}

void Connection::rollback() {
  if (broken()) return;
  PQclear(PQexec(conn_, "ROLLBACK"));
}

ErrorKind kind_of_sqlstate(const std::string& s) {
  if (s.empty()) return ErrorKind::unavailable;  // no answer from the server
  if (s == "23505") return ErrorKind::conflict;
  if (s == "23503") return ErrorKind::not_found;
  std::string_view cls = std::string_view(s).substr(0, 2);
  // 08 connection, 53 resources, 57 operator intervention (shutdown, cancel),
  // 58 system error, 40 rollback (serialization, deadlock), 25006 read-only
  // transaction (a standby after failover), 55P03 lock not available.
  if (cls == "08" || cls == "53" || cls == "57" || cls == "58" || cls == "40") return ErrorKind::unavailable;
  if (s == "25006" || s == "55P03") return ErrorKind::unavailable;
  if (cls == "22") return ErrorKind::bad_request;  // data exception: invalid text, out of range
  return ErrorKind::internal;
}

}  // namespace parley::store::postgres
