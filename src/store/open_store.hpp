#pragma once
// Chooses and opens the storage backend from one setting (`parley serve --store`):
//
//   ""                                   SQLite at DATA_DIR/parley.db (embedded mode)
//   sqlite:PATH                          SQLite at PATH
//   postgres://... / postgresql://...    PostgreSQL (cluster mode), a libpq URL
//   host=... dbname=... (contains '=')   PostgreSQL, a libpq key=value conninfo
//
// Anything else is bad_request "invalid_store". docs/storage.md describes both backends.
//
// `replica_url` (`--store-replica`, PostgreSQL only): a streaming replica of the
// primary; history and list reads go there when it is fresh enough for the
// request (store/postgres/replica_routing_store.hpp, docs/replicas.md).
//
// Thread-safety: open_store() may be called from any thread; the Store it
// returns is as store.hpp says.

#include <memory>
#include <string>

#include "common/result.hpp"
#include "store/store.hpp"

namespace parley::store {

struct StoreConfig {
  std::string url;       // the --store value; empty: SQLite in data_dir
  std::string data_dir;  // for the default SQLite file
  int postgres_pool_size = 8;
  int postgres_appenders = 2;
  std::string replica_url = "";  // the --store-replica value; empty: none
  SearchIndexOptions search = {};  // --search-index on|off (docs/features.md)
};

enum class StoreBackend { sqlite, postgres };

struct StoreTarget {
  StoreBackend backend = StoreBackend::sqlite;
  std::string location;  // the SQLite file path, or the PostgreSQL URL / conninfo
};

// Parsing only, without opening anything (for config validation and tests).
Result<StoreTarget> parse_store_url(const StoreConfig& config);

// A --store-replica that is not a PostgreSQL URL, or beside a SQLite store:
// bad_request "invalid_store".
Status check_replica_url(const StoreConfig& config, const StoreTarget& target);

Result<std::unique_ptr<Store>> open_store(const StoreConfig& config);

}  // namespace parley::store
