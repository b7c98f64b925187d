#include "store/open_store.hpp"

#include <string_view>

#include "store/postgres/postgres_store.hpp"
#include "store/postgres/replica_routing_store.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace parley::store {

Result<StoreTarget> parse_store_url(const StoreConfig& config) {
  std::string_view url = config.url;
  if (url.empty()) {
    if (config.data_dir.empty()) {
      return Error::bad_request("invalid_store", "no --store given and no data directory for the SQLite file");
    }
    std::string dir = config.data_dir;
    if (dir.back() != '/') dir += '/';
    return StoreTarget{StoreBackend::sqlite, dir + "parley.db"};
  }
  if (url.starts_with("sqlite:")) {
    std::string_view path = url.substr(7);
    if (path.empty()) return Error::bad_request("invalid_store", "--store sqlite: needs a file path (sqlite:PATH)");
    return StoreTarget{StoreBackend::sqlite, std::string(path)};
  }
  if (url.starts_with("postgres://") || url.starts_with("postgresql://") || url.find('=') != std::string_view::npos) {
    return StoreTarget{StoreBackend::postgres, std::string(url)};
  }
  return Error::bad_request("invalid_store",
                            "--store must be empty (SQLite in the data directory), sqlite:PATH, a postgres:// or "
                            "postgresql:// URL, or a libpq key=value conninfo");
}

Status check_replica_url(const StoreConfig& config, const StoreTarget& target) {
  if (config.replica_url.empty()) return Status::success();
  if (target.backend != StoreBackend::postgres)
    return Error::bad_request("invalid_store", "--store-replica needs a PostgreSQL --store");
  StoreConfig replica = config;
  replica.url = config.replica_url;
  auto parsed = parse_store_url(replica);
  if (!parsed || parsed->backend != StoreBackend::postgres)
    return Error::bad_request("invalid_store",
                              "--store-replica must be a postgres:// or postgresql:// URL or a libpq conninfo");
  return Status::success();
}

Result<std::unique_ptr<Store>> open_store(const StoreConfig& config) {
  auto target = parse_store_url(config);
  if (!target) return target.error();
  if (Status s = check_replica_url(config, *target); !s) return s.error();
  if (target->backend == StoreBackend::sqlite) {
    SqliteOptions options;
    options.path = target->location;
    options.search = config.search;
    return open_sqlite_store(options);
  }
  PostgresOptions options;
  options.url = target->location;
  options.pool_size = config.postgres_pool_size;
  options.appenders = config.postgres_appenders;
  options.search = config.search;
  auto primary = open_postgres_store(options);
  if (!primary || config.replica_url.empty()) return primary;
  ReplicaRoutingOptions replica;
  replica.replica_url = config.replica_url;
  replica.primary_url = target->location;
  return open_replica_routing_store(std::move(*primary), replica);
}

}  // namespace parley::store
