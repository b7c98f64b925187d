#include "store/sqlite/online_backup.hpp"

#include <sqlite3.h>

#include <filesystem>
#include <memory>
#include <system_error>
#include <thread>

#include "store/sqlite/migrations.hpp"

namespace parley::store::sqlite {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct CloseDb {
  void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
using Db = std::unique_ptr<sqlite3, CloseDb>;

Error unavailable(std::string code, std::string message) {
  return {ErrorKind::unavailable, std::move(code), std::move(message)};
}

std::string describe(sqlite3* db) { return db ? sqlite3_errmsg(db) : "out of memory"; }

Result<Db> open(const std::string& path, int flags, const char* code) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  Db db(raw);
  if (rc != SQLITE_OK) return unavailable(code, "cannot open " + path + ": " + describe(raw));
  sqlite3_busy_timeout(raw, 5000);
  sqlite3_extended_result_codes(raw, 1);
  return db;
}

bool exec(sqlite3* db, const char* sql) { return sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK; }

// The first column of the first row of `sql` as an integer.
Result<long long> query_int(sqlite3* db, const char* sql, const std::string& path) {
  sqlite3_stmt* statement = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &statement, nullptr) != SQLITE_OK)
    return unavailable("not_a_database", path + ": " + describe(db));
  long long value = 0;
  const int rc = sqlite3_step(statement);
  if (rc == SQLITE_ROW) value = sqlite3_column_int64(statement, 0);
  sqlite3_finalize(statement);
  if (rc != SQLITE_ROW) return unavailable("not_a_database", path + ": " + describe(db));
  return value;
}

// Application id and schema version, inside whatever transaction `db` is in.
Result<DatabaseCheck> identify(sqlite3* db, const std::string& path) {
  auto application = query_int(db, "PRAGMA application_id", path);
  if (!application) return application.error();
  auto version = query_int(db, "PRAGMA user_version", path);
  if (!version) return version.error();
  if (*application != parley_application_id)
    return unavailable("foreign_database", path + " is not a Parley database (application_id " +
                                               std::to_string(*application) + ")");
  if (*version > latest_schema_version())
    return unavailable("schema_too_new", path + " has schema version " + std::to_string(*version) +
                                             ", newer than this Parley knows (" +
                                             std::to_string(latest_schema_version()) + "): use a newer parley");
  return DatabaseCheck{static_cast<int>(*version)};
}

std::uint64_t file_bytes(const std::string& path) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  return ec ? 0 : size;
}

// Copies the held snapshot of `source` into `dest` step by step.
Result<OnlineBackupStats> copy_pages(sqlite3* source, sqlite3* dest, const std::string& source_path,
                                     const OnlineBackupOptions& options) {
  sqlite3_backup* backup = sqlite3_backup_init(dest, "main", source, "main");
  if (backup == nullptr) return unavailable("backup_destination", "cannot start the backup: " + describe(dest));
  OnlineBackupStats stats;
  const std::string wal_path = source_path + "-wal";
  int rc = SQLITE_OK;
  int busy_tries = 0;
  for (;;) {
    const auto started = Clock::now();
    rc = sqlite3_backup_step(backup, options.pages_per_step);
    const auto took = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started);
    stats.longest_step = std::max(stats.longest_step, took);
    ++stats.steps;
    if (rc == SQLITE_DONE) break;
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
      // Only the destination can be busy (the source snapshot is ours): someone
      // else opened the new file. Wait a little, then give up.
      if (++busy_tries > 100) break;
    } else if (rc != SQLITE_OK) {
      break;
    }
    if (file_bytes(wal_path) > options.max_wal_bytes) {
      sqlite3_backup_finish(backup);
      return unavailable("backup_wal_limit",
                         "the server wrote more than " + std::to_string(options.max_wal_bytes >> 20) +
                             " MiB while the backup ran (its WAL could not be checkpointed meanwhile): "
                             "stopped so as not to stall it; try again at a quieter time");
    }
    std::this_thread::sleep_for(options.pause);
  }
  stats.pages = sqlite3_backup_pagecount(backup);
  sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE) {
    const bool source_side = rc == SQLITE_IOERR || (rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB;
    return unavailable(source_side ? "backup_source" : "backup_destination",
                       std::string("backup step failed: ") + sqlite3_errstr(rc));
  }
  return stats;
}

}  // namespace

Result<DatabaseCheck> check_database(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return unavailable("not_a_database", path + " is not a file");
  auto db = open(path, SQLITE_OPEN_READONLY, "not_a_database");
  if (!db) return db.error();
  auto identity = identify(db->get(), path);
  if (!identity) return identity.error();
  sqlite3_stmt* statement = nullptr;
  if (sqlite3_prepare_v2(db->get(), "PRAGMA integrity_check(10)", -1, &statement, nullptr) != SQLITE_OK)
    return unavailable("corrupt_database", path + ": " + describe(db->get()));
  std::string problems;
  int rc = SQLITE_OK;
  while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
    const std::string line = text ? text : "";
    if (line == "ok") continue;
    problems += problems.empty() ? line : "; " + line;
  }
  sqlite3_finalize(statement);
  if (rc != SQLITE_DONE) return unavailable("corrupt_database", path + ": " + describe(db->get()));
  if (!problems.empty()) return unavailable("corrupt_database", path + " fails PRAGMA integrity_check: " + problems);
  return identity;
}

Result<OnlineBackupStats> online_backup(const std::string& source_path, const std::string& destination,
                                        const OnlineBackupOptions& options) {
  std::error_code ec;
  if (!fs::is_regular_file(source_path, ec)) return unavailable("backup_source", source_path + " does not exist");
  if (fs::exists(destination, ec)) return unavailable("backup_destination", destination + " already exists");

  auto source = open(source_path, SQLITE_OPEN_READONLY, "backup_source");
  if (!source) return source.error();
  // The snapshot: one read transaction for the whole copy.
  if (!exec(source->get(), "BEGIN"))
    return unavailable("backup_source", source_path + ": " + describe(source->get()));
  auto identity = identify(source->get(), source_path);
  if (!identity) return Error{identity.error().kind, "backup_source", identity.error().message};

  Result<OnlineBackupStats> copied = Error::internal("not run");
  {
    auto dest = open(destination, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, "backup_destination");
    if (!dest) return dest.error();
    copied = copy_pages(source->get(), dest->get(), source_path, options);
    exec(source->get(), "COMMIT");
    // The copy carries the source's WAL flag in its header: make it one
    // self-contained file (the server switches back to WAL when it opens it).
    if (copied && !exec(dest->get(), "PRAGMA journal_mode=DELETE"))
      copied = unavailable("backup_destination", destination + ": " + describe(dest->get()));
  }
  source.value().reset();
  if (copied) {
    auto checked = check_database(destination);
    if (!checked) copied = checked.error();
    else copied->schema_version = checked->schema_version;
  }
  if (!copied) {
    fs::remove(destination, ec);
    fs::remove(destination + "-journal", ec);
  }
  return copied;
}

}  // namespace parley::store::sqlite
