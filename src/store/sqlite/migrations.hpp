#pragma once
// The schema, as an ordered list of versioned migrations (PRAGMA user_version).
// docs/storage.md describes the tables and why each index exists.
//
// Rules for adding one: append a step with the next version; never edit a step
// that has shipped. Each step runs in its own BEGIN IMMEDIATE transaction that
// also sets user_version, so a crash leaves the database at a whole version.
//
// Thread-safety: apply_migrations runs once at open, before the writer thread
// and the readers exist.

#include <cstdint>
#include <span>

#include "common/result.hpp"
#include "store/sqlite/connection.hpp"

namespace parley::store::sqlite {

// PRAGMA application_id of a Parley database: "Prly".
inline constexpr std::int64_t parley_application_id = 0x50726c79;

struct Migration {
  int version;       // 1, 2, 3, ...: the user_version once applied
  const char* name;  // for logs and errors
  const char* sql;   // one or more statements
};

std::span<const Migration> migrations();
int latest_schema_version();

// Brings the database to latest_schema_version(). Errors name the file and the
// step; a failed step is rolled back and later ones are not attempted.
// REQUIRES: `db` is the read-write connection, outside any transaction.
Status apply_migrations(Connection& db);

}  // namespace parley::store::sqlite
