#include "backends.hpp"

#include <gtest/gtest.h>

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

std::vector<Backend> all_backends() {
  std::vector<Backend> all;
  all.push_back(sqlite_backend());
  return all;
}

}  // namespace parley::store::testing
