// open_postgres_store: connect, migrate, then hand that connection to the pool
// and start the appenders.

#include <spdlog/spdlog.h>

#include "store/postgres/migrations.hpp"
#include "store/postgres/postgres_store.hpp"
#include "store/postgres/postgres_store_impl.hpp"

namespace parley::store {

Result<std::unique_ptr<Store>> open_postgres_store(const PostgresOptions& options) {
  using namespace postgres;
  if (options.url.empty()) return Error::bad_request("invalid_store", "the PostgreSQL store needs a URL");
  auto first = Connection::connect(options.url, options.connect_timeout_s);
  if (!first) return first.error();
  if (Status s = apply_migrations(**first); !s) return s.error();
  if (Status s = apply_search_index(**first, options.search.enabled); !s) return s.error();
  std::string target = (*first)->target();
  auto pool = std::make_unique<ConnectionPool>(options.url, options.pool_size, options.acquire_timeout_ms,
                                               options.connect_timeout_s, std::move(*first));
  AppenderOptions appender;
  appender.conninfo = options.url;
  appender.connect_timeout_s = options.connect_timeout_s;
  appender.max_batch = options.max_batch;
  appender.max_queue = options.max_queue;
  spdlog::info("postgres: {} open (pool {}, appenders {})", target, options.pool_size, options.appenders);
  return std::unique_ptr<Store>(
      std::make_unique<PostgresStore>(std::move(pool), std::move(appender), options.appenders, options.search));
}

}  // namespace parley::store
