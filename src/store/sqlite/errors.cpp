#include "store/sqlite/errors.hpp"

#include <sqlite3.h>

#include <utility>

namespace parley::store::sqlite {

bool is_constraint(int rc) { return (rc & 0xff) == SQLITE_CONSTRAINT; }

Error map_error(int rc, std::string message) {
  if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) return Error::not_found(std::move(message));
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      return Error::conflict("conflict", std::move(message));
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_NOMEM:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_PROTOCOL:
      return Error::unavailable(std::move(message));
    default:
      return Error::internal(std::move(message));
  }
}

}  // namespace parley::store::sqlite
