#include "store/postgres/user_queries.hpp"

#include <string>

#include "store/postgres/pg_rows.hpp"
#include "store/sqlite/text_keys.hpp"

namespace parley::store::postgres {

namespace {

using sqlite::fold_case;

const Statement keys_taken{
    "users_keys_taken",
    "SELECT EXISTS (SELECT 1 FROM users WHERE username_key = $1), EXISTS (SELECT 1 FROM users WHERE email_key = $2)"};
const Statement insert_user_sql{
    "users_insert",
    "INSERT INTO users (id, username, username_key, email, email_key, display_name, display_name_key,"
    " password_hash, created_at, last_seen_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"};
const Statement last_seen_sql{"users_last_seen",
                              "UPDATE users SET last_seen_at = greatest(last_seen_at, $2) WHERE id = $1"};
const Statement by_id_sql{"users_by_id", "SELECT " PARLEY_PG_USER_COLUMNS("u") " FROM users u WHERE u.id = $1"};
// A username never contains '@', so at most one row matches a well-formed
// input; should two, the username wins (as in SQLite).
const Statement by_login_sql{"users_by_login",
                             "SELECT " PARLEY_PG_USER_COLUMNS("u") " FROM users u"
                             " WHERE u.username_key = $1 OR u.email_key = $1"
                             " ORDER BY u.username_key = $1 DESC LIMIT 1"};
const Statement by_ids_sql{"users_by_ids",
                           "SELECT " PARLEY_PG_USER_COLUMNS("u") " FROM users u WHERE u.id = ANY ($1::bigint[])"};
// Range scans on the "C"-collated folded keys (indexed; no LIKE, so no wildcard
// to escape). The upper bound is prefix + U+10FFFF, the greatest code point:
// PostgreSQL text cannot carry SQLite's 0xFF byte. Only a key continuing with
// U+10FFFF (a noncharacter) followed by more text would be missed.
const Statement search_sql{"users_search",
                           "SELECT " PARLEY_PG_PUBLIC_USER_COLUMNS("u") " FROM users u"
                           " WHERE u.id <> $4 AND ((u.username_key >= $1 AND u.username_key <= $2)"
                           "   OR (u.display_name_key >= $1 AND u.display_name_key <= $2)"
                           "   OR u.email_key = $1)"
                           " ORDER BY u.username_key, u.id LIMIT $3"};
const Statement contacts_sql{"users_contacts",
                             "SELECT DISTINCT other.user_id FROM members self"
                             " JOIN members other ON other.conversation_id = self.conversation_id"
                             " WHERE self.user_id = $1 AND other.user_id <> $1"};

Result<std::optional<UserRow>> one_user(Result<PgResult> r) {
  if (!r) return r.error();
  if (r->rows() == 0) return std::optional<UserRow>();
  return std::optional<UserRow>(read_user(*r, 0, 0));
}

}  // namespace

Status insert_user(Connection& db, const UserRow& user) {
  std::string username_key = fold_case(user.username);
  std::string email_key = fold_case(user.email);
  auto taken = db.run(keys_taken, Params{}.add(username_key).add(email_key));
  if (!taken) return taken.error();
  if (taken->boolean(0, 0)) return Error::conflict("username_taken", "username is taken");
  if (taken->boolean(0, 1)) return Error::conflict("email_taken", "email is taken");
  auto r = db.run(insert_user_sql, Params{}
                                       .add(user.id)
                                       .add(user.username)
                                       .add(username_key)
                                       .add(user.email)
                                       .add(email_key)
                                       .add(user.display_name)
                                       .add(fold_case(user.display_name))
                                       .add(user.password_hash)
                                       .add(user.created_at)
                                       .add(user.last_seen_at));
  if (r) return Status::success();
  // A registration racing this one between the check and the insert.
  if (db.last_sqlstate() == "23505") {
    if (db.last_constraint() == "users_by_username") return Error::conflict("username_taken", "username is taken");
    if (db.last_constraint() == "users_by_email") return Error::conflict("email_taken", "email is taken");
    return Error::conflict("id_taken", "a user with this id exists");
  }
  return r.error();
}

Status set_last_seen(Connection& db, Id user, TimeMs at) {
  auto r = db.run(last_seen_sql, Params{}.add(user).add(at));
  if (!r) return r.error();
  if (r->affected() == 0) return Error::not_found("no such user");
  return Status::success();
}

Result<std::optional<UserRow>> user_by_id(Connection& db, Id id) { return one_user(db.run(by_id_sql, Params{}.add(id))); }

Result<std::optional<UserRow>> user_by_login(Connection& db, std::string_view username_or_email) {
  return one_user(db.run(by_login_sql, Params{}.add(fold_case(username_or_email))));
}

Result<std::vector<UserRow>> users_by_ids(Connection& db, const std::vector<Id>& ids) {
  std::vector<UserRow> out;
  if (ids.empty()) return out;
  auto r = db.run(by_ids_sql, Params{}.add(int_array(ids)));
  if (!r) return r.error();
  for (int i = 0; i < r->rows(); ++i) out.push_back(read_user(*r, i, 0));
  return out;
}

Result<std::vector<UserRow>> search_users(Connection& db, std::string_view query, Id exclude, int limit) {
  std::vector<UserRow> out;
  if (limit <= 0) return out;
  std::string low = fold_case(query);
  std::string high = low + "\xF4\x8F\xBF\xBF";
  auto r = db.run(search_sql, Params{}.add(low).add(high).add(std::int64_t{limit}).add(exclude));
  if (!r) return r.error();
  for (int i = 0; i < r->rows(); ++i) out.push_back(read_public_user(*r, i, 0));
  return out;
}

Result<std::vector<Id>> contacts_of(Connection& db, Id user) {
  auto r = db.run(contacts_sql, Params{}.add(user));
  if (!r) return r.error();
  std::vector<Id> out;
  for (int i = 0; i < r->rows(); ++i) out.push_back(r->i64(i, 0));
  return out;
}

}  // namespace parley::store::postgres
