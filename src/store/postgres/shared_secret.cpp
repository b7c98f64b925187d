#include "store/postgres/shared_secret.hpp"

#include "store/postgres/pg_connection.hpp"

namespace parley::store::postgres {

namespace {

const Statement offer{"parley_settings_offer",
                      "INSERT INTO parley_settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING"};
const Statement read{"parley_settings_read", "SELECT value FROM parley_settings WHERE name = $1"};

}  // namespace

Result<std::string> load_or_store_shared_secret(const std::string& conninfo, std::string_view name,
                                                std::string_view candidate, int connect_timeout_s) {
  auto conn = Connection::connect(conninfo, connect_timeout_s);
  if (!conn) return conn.error();
  Connection& db = **conn;
  if (auto r = db.exec("SET statement_timeout = 5000"); !r) return r.error();
  if (auto r = db.run(offer, Params{}.add(name).add(candidate)); !r) return r.error();
  auto stored = db.run(read, Params{}.add(name));
  if (!stored) return stored.error();
  if (stored->rows() != 1 || stored->text(0, 0).empty())
    return Error::internal(db.target() + ": parley_settings has no usable '" + std::string(name) + "'");
  return stored->text(0, 0);
}

}  // namespace parley::store::postgres
