#pragma once
// The users' SQL, as free functions over a Connection: same semantics as the
// SQLite store's user_queries (store.hpp states them).
//
// Thread-safety: the caller holds the Connection for the call.

#include <optional>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "store/postgres/pg_connection.hpp"
#include "store/records.hpp"

namespace parley::store::postgres {

Status insert_user(Connection& db, const UserRow& user);
Status set_last_seen(Connection& db, Id user, TimeMs at);
Result<std::optional<UserRow>> user_by_id(Connection& db, Id id);
Result<std::optional<UserRow>> user_by_login(Connection& db, std::string_view username_or_email);
Result<std::vector<UserRow>> users_by_ids(Connection& db, const std::vector<Id>& ids);
Result<std::vector<UserRow>> search_users(Connection& db, std::string_view query, Id exclude, int limit);
Result<std::vector<Id>> contacts_of(Connection& db, Id user);

}  // namespace parley::store::postgres
