#pragma once
// Maps SQLite result codes to Parley errors (common/result.hpp).
//
// Thread-safety: pure functions.

#include <string>

#include "common/result.hpp"

namespace parley::store::sqlite {

// The kind follows the primary result code:
//   constraint (foreign key)  → not_found  (a referenced user or conversation is gone)
//   constraint (other)        → conflict "conflict"
//   busy, locked, I/O, full, cantopen, readonly, nomem, corrupt, notadb → unavailable
//   anything else             → internal
Error map_error(int rc, std::string message);

bool is_constraint(int rc);

}  // namespace parley::store::sqlite
