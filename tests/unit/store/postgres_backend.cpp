#include "postgres_backend.hpp"

#include <libpq-fe.h>

#include <cstdlib>
#include <random>

namespace parley::store::testing {

namespace {

std::string quoted(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

std::string random_name() {
  std::random_device rd;
  std::mt19937_64 rng((static_cast<std::uint64_t>(rd()) << 32) ^ rd());
  static constexpr char digits[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string out = "parley_test_";
  for (int i = 0; i < 16; ++i) out += digits[rng() % 36];
  return out;
}

}  // namespace

std::string postgres_test_server_url() {
  const char* env = std::getenv("PARLEY_TEST_POSTGRES_URL");
  return env != nullptr ? env : "";
}

std::string with_database(const std::string& conninfo, const std::string& database) {
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), nullptr);
  if (options == nullptr) return conninfo;
  std::string out;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val == nullptr || std::string(o->keyword) == "dbname") continue;
    out += std::string(o->keyword) + "=" + quoted(o->val) + " ";
  }
  PQconninfoFree(options);
  return out + "dbname=" + quoted(database);
}

std::string run_sql(const std::string& database, const std::string& sql) {
  PGconn* conn = PQconnectdb(with_database(postgres_test_server_url(), database).c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string e = PQerrorMessage(conn);
    PQfinish(conn);
    return "connect: " + e;
  }
  PGresult* r = PQexec(conn, sql.c_str());
  std::string e;
  if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) e = PQresultErrorMessage(r);
  PQclear(r);
  PQfinish(conn);
  return e;
}

TestPostgresDatabase::TestPostgresDatabase() : server_(postgres_test_server_url()) {
  if (server_.empty()) return;
  name_ = random_name();
  error_ = run_sql("postgres", "CREATE DATABASE " + name_);
}

TestPostgresDatabase::~TestPostgresDatabase() {
  if (ok()) run_sql("postgres", "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
}

Result<std::unique_ptr<Store>> TestPostgresDatabase::open(PostgresOptions options) const {
  options.url = url();
  return open_postgres_store(options);
}

std::string TestPostgresDatabase::terminate_sessions() const {
  return run_sql("postgres", "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE datname = '" + name_ +
                                 "' AND pid <> pg_backend_pid()");
}

std::unique_ptr<Store> open_test_postgres_store(std::string& database_name_out) {
  database_name_out.clear();
  if (postgres_test_server_url().empty()) return nullptr;
  std::string name = random_name();
  if (!run_sql("postgres", "CREATE DATABASE " + name).empty()) return nullptr;
  database_name_out = name;
  PostgresOptions options;
  options.url = with_database(postgres_test_server_url(), name);
  auto store = open_postgres_store(options);
  if (!store) return nullptr;
  return std::move(*store);
}

void drop_test_database(const std::string& database_name) {
  if (database_name.empty() || postgres_test_server_url().empty()) return;
  run_sql("postgres", "DROP DATABASE IF EXISTS " + database_name + " WITH (FORCE)");
}

}  // namespace parley::store::testing
