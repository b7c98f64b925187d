#pragma once
// The cluster-mode Store: PostgreSQL 15 through libpq. Several Parley nodes can
// share one database. docs/storage.md ("PostgreSQL") explains the schema, the
// batching of appends and the failure model.
//
// Thread-safety: the returned Store is safe to call from any thread (store.hpp).
// Ownership: the caller owns the Store; destroying it stops accepting appends,
// stores the queued ones, then closes every connection. Destroy it only after
// every call into it has returned, and never from an append completion.

#include <memory>
#include <string>

#include "common/result.hpp"
#include "store/store.hpp"

namespace parley::store {

struct PostgresOptions {
  // libpq URL (postgres://user:pass@host:port/db, postgresql://...) or key=value conninfo.
  std::string url;
  int pool_size = 8;              // connections for reads and the other writes
  int appenders = 3;              // append threads, each with its own connection (commits overlap)
  int max_batch = 4096;           // appends per transaction (a cap: batches follow the queue)
  int max_queue = 65536;          // appends waiting, per appender; beyond: unavailable at once
  int acquire_timeout_ms = 2000;  // longest wait for a free pool connection
  int connect_timeout_s = 3;      // per connection attempt (libpq connect_timeout; at least 2)
  SearchIndexOptions search = {};  // the full-text GIN index (docs/features.md)
};

// Connects, applies the migrations (serialized across nodes by an advisory
// lock), opens the pool and starts the appenders. Errors: an unreachable
// server or bad credentials is unavailable with libpq's reason (never the
// password); a schema newer than this build is schema_too_new naming the
// database; a malformed URL is bad_request "invalid_store".
Result<std::unique_ptr<Store>> open_postgres_store(const PostgresOptions& options);

}  // namespace parley::store
