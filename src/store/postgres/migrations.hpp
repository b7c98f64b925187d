#pragma once
// The PostgreSQL schema as versioned steps, applied at start-up. Every node
// runs them; a transaction-scoped advisory lock serializes nodes that start at
// once, so each step runs exactly once and a node never sees half a schema.
// docs/storage.md ("PostgreSQL") lists the tables and indexes.
//
// Thread-safety: pure functions over a Connection the caller holds.

#include <span>

#include "common/result.hpp"
#include "store/postgres/pg_connection.hpp"

namespace parley::store::postgres {

struct Migration {
  int version;
  const char* name;
  const char* sql;  // several statements, run in the migration's transaction
};

std::span<const Migration> migrations();
int latest_schema_version();

// Brings the database to latest_schema_version() in one transaction. A
// database whose schema is newer than this build is refused with Error code
// schema_too_new (the message names the database) and left untouched.
Status apply_migrations(Connection& db);

// The full-text index (docs/features.md, "Search"), after the migrations, in
// its own transaction under the same advisory lock. Off: the GIN index
// message_search_tsv is dropped and message_search and search_progress
// emptied (no indexer runs). On and absent: the live messages without an
// entry get one, every conversation's progress is set, then the index is built
// (logged with its time); on and present: nothing. Every node of a cluster should run with the same setting.
Status apply_search_index(Connection& db, bool enabled);

}  // namespace parley::store::postgres
