#pragma once
// Preflight: decides whether an existing file may be opened for writing, before
// anything writes to it (switching to WAL or migrating both write the header).
// Reads the header with plain file I/O, then looks inside through a READ-ONLY
// connection: the application id, the schema version, and optionally
// PRAGMA quick_check. Refusals leave the file byte-for-byte as it was.
//
// Error codes (ErrorKind::unavailable; every message names the file):
//   not_a_database    the file does not start with the SQLite header
//   corrupt_database  SQLite cannot read it, or quick_check finds damage
//   foreign_database  a SQLite database, but not Parley's
//   schema_too_new    written by a newer Parley (user_version > latest known)
//   open_failed       cannot be read (permissions, a directory, locked)
//
// Thread-safety: a free function; run it once, before the store opens the file.

#include <string>

#include "common/result.hpp"

namespace parley::store::sqlite {

// A missing or empty file passes (it becomes a new database).
Status preflight(const std::string& path, bool quick_check, int busy_timeout_ms);

}  // namespace parley::store::sqlite
