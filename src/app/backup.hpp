#pragma once
// `parley backup` and `parley restore` for the embedded (SQLite) mode: what of the
// data folder matters, copied while the server runs, and put back only into a
// folder no server uses. docs/operations.md ("Backups") is the operator's guide.
//
// A backup is a directory (`--to` names it; it must not exist):
//   manifest.json   format "parley-backup" v1, the Parley version, the time, and
//                   what the backup holds (the database's size, pages and schema
//                   version; whether a JWT secret and media are in it)
//   parley.db       one consistent snapshot of DATA_DIR/parley.db, as a
//                   self-contained file (store/sqlite/online_backup.hpp)
//   jwt-secret      DATA_DIR/jwt-secret, mode 0600, if the folder has one
//   media/          DATA_DIR/media/ without media/tmp/ (uploads in progress), if any
// It is built under `<to>.partial` and renamed into place once complete and
// synced, so a directory at `--to` is always a whole backup.
//
// Restore: checks the manifest and the files against it, copies the database
// into the data folder under a temporary name and runs PRAGMA integrity_check on
// that copy, then puts everything in place (removing the old database's WAL
// first). It holds the data folder's lock (data_dir_lock.hpp) throughout, so a
// folder a server runs on is always refused; a folder that holds anything else
// than the lock file is refused unless `force`.
//
// Thread-safety: run from main, one at a time.

#include "app/config.hpp"

namespace parley::app {

// Exit codes: 0 done; 1 refused or failed (one line on stderr says why).
int run_backup(const BackupConfig& config);
int run_restore(const RestoreConfig& config);

}  // namespace parley::app
