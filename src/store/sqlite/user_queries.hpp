#pragma once
// SQL for users. Writes run on the writer thread inside a job's savepoint;
// reads on a reader connection. Results are values; nothing throws.
//
// Thread-safety: none of their own; each uses the Connection it is given.

#include <optional>
#include <string_view>
#include <variant>
#include <vector>

#include "common/result.hpp"
#include "store/records.hpp"
#include "store/sqlite/connection.hpp"

namespace parley::store::sqlite {

// conflict "username_taken" / "email_taken" (ASCII case folded).
Result<std::monostate> insert_user(Connection& db, const UserRow& user);
// Keeps the later of the stored and the given time. not_found for an unknown user.
Result<std::monostate> set_last_seen(Connection& db, Id user, TimeMs at);

Result<std::optional<UserRow>> user_by_id(Connection& db, Id id);
Result<std::optional<UserRow>> user_by_login(Connection& db, std::string_view username_or_email);
Result<std::vector<UserRow>> users_by_ids(Connection& db, const std::vector<Id>& ids);
// Public columns only: email and password_hash are left empty.
Result<std::vector<UserRow>> search_users(Connection& db, std::string_view query, Id exclude, int limit);

}  // namespace parley::store::sqlite
