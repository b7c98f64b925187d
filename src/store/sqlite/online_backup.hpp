#pragma once
// Online backup of a Parley SQLite database while a server writes to it, and the
// checks a copy must pass before it is put in place (`parley backup` / `parley
// restore`, docs/operations.md).
//
// How the copy stays consistent without stalling the server: the source is opened
// read-only and one read transaction is held for the whole copy, so the backup API
// copies one snapshot (it never restarts because of the server's commits) and, in
// WAL mode, a reader neither waits for nor blocks the writer. The pages are copied
// `pages_per_step` at a time with a pause between steps, which bounds the I/O burst
// the copy adds. The price of the held snapshot: the WAL cannot start again until
// the copy ends, and past the checkpointer's restart bound (checkpointer.hpp) a
// RESTART checkpoint would block writes while it waits for this reader; so the copy
// gives up (error code backup_wal_limit) once the WAL file exceeds
// `max_wal_bytes`, rather than make the server wait.
//
// Thread-safety: free functions, no shared state; each opens its own connections.

#include <chrono>
#include <cstdint>
#include <string>

#include "common/result.hpp"

namespace parley::store::sqlite {

struct OnlineBackupOptions {
  int pages_per_step = 1024;                  // 4 MiB of 4 KiB pages per step
  std::chrono::milliseconds pause{2};         // between steps
  // Below the checkpointer's restart bound (65,536 frames of 4 KiB = 256 MiB).
  std::uint64_t max_wal_bytes = 192ull << 20;
};

struct OnlineBackupStats {
  long long pages = 0;
  int steps = 0;
  int schema_version = 0;                     // PRAGMA user_version of the copy
  std::chrono::microseconds longest_step{0};  // the longest single sqlite3_backup_step
};

// Copies the database at `source` (must exist and be Parley's) into a new file
// `destination` (must not exist), as a self-contained rollback-journal database,
// then checks it (check_database). Errors: ErrorKind::unavailable with codes
// backup_source (cannot open or read the source, or not a Parley database),
// backup_destination (cannot write the copy), backup_wal_limit (see above),
// corrupt_database (the copy fails the check). A failed copy is removed.
Result<OnlineBackupStats> online_backup(const std::string& source, const std::string& destination,
                                        const OnlineBackupOptions& options);

struct DatabaseCheck {
  int schema_version = 0;
};

// Opens `path` read-only and verifies it is a Parley database this build can open:
// application_id, user_version <= latest_schema_version(), PRAGMA integrity_check
// "ok". Errors (ErrorKind::unavailable): not_a_database, foreign_database,
// schema_too_new, corrupt_database (the message quotes the first problems found).
Result<DatabaseCheck> check_database(const std::string& path);

}  // namespace parley::store::sqlite
