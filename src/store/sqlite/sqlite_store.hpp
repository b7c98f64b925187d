#pragma once
// The embedded-mode Store: one SQLite file in WAL mode, one writer thread with
// group commit, a pool of read-only connections. docs/storage.md explains the
// schema, the threading and the durability choices.
//
// Thread-safety: the returned Store is safe to call from any thread (store.hpp).
// Ownership: the caller owns the Store; destroying it stops accepting writes,
// finishes the queued ones, checkpoints the WAL and closes the file. Destroy it
// only after every call into it has returned.

#include <memory>
#include <string>

#include "common/result.hpp"
#include "store/store.hpp"

namespace parley::store {

struct SqliteOptions {
  std::string path;                 // the database file; its directory must exist
  int readers = 4;                  // read-only connections (concurrent reads)
  bool synchronous_full = true;     // FULL: fsync the WAL at every commit; false: NORMAL
  // Write jobs per transaction (group commit): a cap, reached only when the
  // queue is deep. 2,048 rather than 512: +10% closed loop and half the ack p99
  // open loop at 50,000 sends/s (bench/analysis.md, session 3).
  int max_batch = 2048;
  int max_queue = 65536;            // write jobs waiting; see Store::append_message_async
  int busy_timeout_ms = 5000;       // waiting for another process's lock
  bool quick_check = true;          // PRAGMA quick_check at open (time grows with the file)
  int cache_kib = 16384;            // page cache of the write connection
  // Page cache of each reader. Small on purpose: the readers mostly look up
  // single rows (users, members) and short ranges (history pages), the OS page
  // cache holds the file for all of them anyway, and N large private caches
  // warmed by per-connection lookups showed up as server RSS (bench/analysis.md).
  int reader_cache_kib = 1024;
  // WAL checkpoints (checkpointer.hpp): a PASSIVE one on a background thread
  // every `checkpoint_pages` new WAL frames; once the WAL holds
  // `checkpoint_wrap_pages` the writer copies the rest so that the WAL starts
  // again; a reader that pins the WAL past `checkpoint_restart_pages` is waited
  // for (RESTART, blocks writes meanwhile).
  int checkpoint_pages = 1000;
  int checkpoint_wrap_pages = 16384;
  int checkpoint_restart_pages = 65536;
  SearchIndexOptions search = {};   // the FTS5 index (docs/features.md)
};

// Opens (creating if needed) and migrates the database. Refuses, leaving the file
// untouched, a file that is not SQLite, is corrupt, belongs to another
// application, or has a schema newer than this build (Error.code not_a_database,
// corrupt_database, foreign_database, schema_too_new; the message names the file).
Result<std::unique_ptr<Store>> open_sqlite_store(const SqliteOptions& options);

}  // namespace parley::store
