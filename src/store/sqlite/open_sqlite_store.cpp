// open_sqlite_store: preflight, open the write connection, configure, migrate,
// open the readers, start the writer. Nothing is written to an existing file
// before preflight() accepted it.

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <algorithm>
#include <mutex>
#include <string>

#include "store/sqlite/migrations.hpp"
#include "store/sqlite/preflight.hpp"
#include "store/sqlite/search_index.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/sqlite/sqlite_store_impl.hpp"
#include "store/sqlite/wal_write_buffer.hpp"

namespace parley::store {

namespace {

using sqlite::Connection;

Status set_pragma(Connection& db, const std::string& pragma) {
  return db.exec_status(pragma.c_str(), db.path() + ": " + pragma);
}

Status configure_common(Connection& db, const SqliteOptions& options, int cache_kib) {
  sqlite3_busy_timeout(db.handle(), options.busy_timeout_ms);
  if (Status s = set_pragma(db, "PRAGMA cache_size = -" + std::to_string(cache_kib)); !s) return s;
  return set_pragma(db, "PRAGMA temp_store = MEMORY");
}

Status configure_writer(Connection& db, const SqliteOptions& options) {
  if (Status s = configure_common(db, options, options.cache_kib); !s) return s;
  sqlite::Stmt wal = db.prepare("PRAGMA journal_mode = WAL");
  if (wal.step() != SQLITE_ROW) return wal.error(db.path() + ": switching to WAL");
  if (std::string mode = wal.text(0); mode != "wal") {
    return Error::unavailable(db.path() + ": cannot use WAL journal mode (got " + mode + ")");
  }
  for (const char* pragma : {"PRAGMA foreign_keys = ON", "PRAGMA journal_size_limit = 67108864"}) {
    if (Status s = set_pragma(db, pragma); !s) return s;
  }
  return set_pragma(db, options.synchronous_full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
}

// SQLite's memory statistics take a global mutex around every allocation, on
// every connection; Parley never reads them. Only possible before SQLite
// initializes: if something else used SQLite first, the call fails harmlessly.
void disable_memory_statistics() {
  static std::once_flag once;
  std::call_once(once, [] { (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
}

}  // namespace

Result<std::unique_ptr<Store>> open_sqlite_store(const SqliteOptions& options) {
  disable_memory_statistics();
  if (options.path.empty()) return Error::bad_request("bad_store_path", "the SQLite store needs a file path");
  if (Status s = sqlite::preflight(options.path, options.quick_check, options.busy_timeout_ms); !s) return s.error();

  // The WAL write buffer relies on a WAL sync at every commit (wal_write_buffer.hpp).
  const char* writer_vfs = options.synchronous_full ? sqlite::wal_write_buffer_vfs() : nullptr;
  auto writer_db = Connection::open(options.path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, {}, writer_vfs);
  if (!writer_db) return writer_db.error();
  if (Status s = configure_writer(**writer_db, options); !s) return s.error();
  if (Status s = sqlite::apply_migrations(**writer_db); !s) return s.error();
  if (Status s = sqlite::drop_legacy_search_index(**writer_db); !s) return s.error();

  // The indexer first: it creates search.db, which the readers attach.
  std::unique_ptr<sqlite::SearchIndexer> indexer;
  const std::string search_path = sqlite::search_db_path(options.path);
  if (options.search.enabled) {
    sqlite::SearchIndexerOptions o;
    o.db_path = options.path;
    o.search_path = search_path;
    o.busy_timeout_ms = options.busy_timeout_ms;
    auto opened = sqlite::SearchIndexer::open(o);
    if (!opened) return opened.error();
    indexer = std::move(opened).value();
  }
  auto readers = sqlite::ReaderPool::open(options.path, options.readers, [&](Connection& db) {
    if (Status s = configure_common(db, options, options.reader_cache_kib); !s) return s;
    return options.search.enabled ? sqlite::attach_search_db(db, search_path) : Status::success();
  });
  if (!readers) return readers.error();

  sqlite::CheckpointerOptions checkpoints;
  checkpoints.passive_pages = options.checkpoint_pages;
  checkpoints.wrap_pages = options.checkpoint_wrap_pages;
  checkpoints.restart_pages = options.checkpoint_restart_pages;
  checkpoints.busy_timeout_ms = std::max(1, std::min(1000, options.busy_timeout_ms / 4));
  checkpoints.synchronous_full = options.synchronous_full;
  auto checkpointer = sqlite::Checkpointer::open(options.path, checkpoints);
  if (!checkpointer) return checkpointer.error();
  if (Status s = (*checkpointer)->attach(**writer_db); !s) return s.error();

  auto states = std::make_unique<sqlite::WriterStates>(indexer.get());
  auto writer = std::make_unique<sqlite::Writer>(std::move(writer_db).value(), options.max_batch, options.max_queue,
                                                 states.get());
  spdlog::info("sqlite: opened {} (schema {}, {} readers, synchronous={})", options.path,
               sqlite::latest_schema_version(), options.readers, options.synchronous_full ? "FULL" : "NORMAL");
  return std::unique_ptr<Store>(
      std::make_unique<sqlite::SqliteStore>(options, std::move(indexer), std::move(states), std::move(writer), std::move(readers).value(),
                                            std::move(checkpointer).value()));
}

}  // namespace parley::store
