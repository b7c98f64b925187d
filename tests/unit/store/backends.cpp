#include "backends.hpp"

#include <gtest/gtest.h>

#include "postgres_backend.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "temp_dir.hpp"

namespace parley::store::testing {

Backend sqlite_backend() {
  Backend b;
  b.name = "sqlite";
  b.open = []() -> std::unique_ptr<TestStore> {
    auto dir = std::make_unique<TempDir>();  // TempDir cannot move; its owner can
    SqliteOptions options;
    options.path = dir->file("parley.db");
    auto opened = open_sqlite_store(options);
    if (!opened.ok()) {
      ADD_FAILURE() << "cannot open a SQLite store in " << options.path << ": " << opened.error().message;
      return nullptr;
    }
    return owning_store(std::move(opened).value(), std::move(dir));
  };
  return b;
}

// A fresh database on the server at PARLEY_TEST_POSTGRES_URL (make test starts
// one); without the variable the PostgreSQL cases skip and say why.
Backend postgres_backend() {
  Backend b;
  b.name = "postgres";
  b.unavailable = [] {
    return postgres_test_server_url().empty() ? TestPostgresDatabase().skip_reason() : std::string();
  };
  b.open = []() -> std::unique_ptr<TestStore> {
    auto db = std::make_unique<TestPostgresDatabase>();  // not movable; its owner is
    if (!db->ok()) {
      ADD_FAILURE() << "cannot create a test database: " << db->error();
      return nullptr;
    }
    auto opened = db->open();
    if (!opened.ok()) {
      ADD_FAILURE() << "cannot open a PostgreSQL store on " << db->name() << ": " << opened.error().message;
      return nullptr;
    }
    return owning_store(std::move(opened).value(), std::move(db));
  };
  return b;
}

std::vector<Backend> all_backends() {
  std::vector<Backend> all;
  all.push_back(sqlite_backend());
  all.push_back(postgres_backend());
  return all;
}

}  // namespace parley::store::testing
