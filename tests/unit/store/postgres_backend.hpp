#pragma once
// Test support for the PostgreSQL store: a fresh database per test on the
// server named by PARLEY_TEST_POSTGRES_URL (scripts/pg-server.sh starts one;
// `make test` sets it), dropped afterwards. Without the variable, tests that
// need a server skip (GTEST_SKIP with a message).
//
// Usable by any store test suite (the backend-independent conformance suite
// included):
//
//   TestPostgresDatabase db;              // CREATE DATABASE parley_test_<random>
//   if (!db.available()) GTEST_SKIP() << db.skip_reason();
//   ASSERT_TRUE(db.ok()) << db.error();
//   auto store = db.open();               // Result<std::unique_ptr<Store>>
//
// Thread-safety: a TestPostgresDatabase belongs to the test that made it.

#include <memory>
#include <string>

#include "common/result.hpp"
#include "store/postgres/postgres_store.hpp"
#include "store/store.hpp"

namespace parley::store::testing {

// The server URL from the environment; empty if unset.
std::string postgres_test_server_url();

// `conninfo` with its database replaced by `database`, as key=value conninfo.
std::string with_database(const std::string& conninfo, const std::string& database);

// Runs one SQL command on `database` of the test server; the error text if it failed, else "".
std::string run_sql(const std::string& database, const std::string& sql);

class TestPostgresDatabase {
 public:
  TestPostgresDatabase();
  ~TestPostgresDatabase();
  TestPostgresDatabase(const TestPostgresDatabase&) = delete;
  TestPostgresDatabase& operator=(const TestPostgresDatabase&) = delete;

  bool available() const { return !server_.empty(); }
  std::string skip_reason() const { return "PARLEY_TEST_POSTGRES_URL is not set (scripts/pg-server.sh start DIR)"; }
  bool ok() const { return error_.empty() && available(); }
  const std::string& error() const { return error_; }
  const std::string& name() const { return name_; }
  // A key=value conninfo for this database.
  std::string url() const { return with_database(server_, name_); }

  Result<std::unique_ptr<Store>> open(PostgresOptions options = {}) const;
  // pg_terminate_backend() on every other session of this database (a dropped
  // connection), waiting until they are gone.
  std::string terminate_sessions() const;

 private:
  std::string server_;
  std::string name_;
  std::string error_;
};

// The same, for suites that keep only a name: a store on a new database
// (nullptr if the server is unavailable or the open failed); drop it afterwards.
std::unique_ptr<Store> open_test_postgres_store(std::string& database_name_out);
void drop_test_database(const std::string& database_name);

}  // namespace parley::store::testing
