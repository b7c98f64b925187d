#include "store/sqlite/user_queries.hpp"

#include <sqlite3.h>

#include <string>

#include "store/sqlite/errors.hpp"
#include "store/sqlite/rows.hpp"
#include "store/sqlite/text_keys.hpp"

namespace parley::store::sqlite {

namespace {

// Is `key` already used in `column`? (a fixed column name, never user input)
Result<bool> key_taken(Connection& db, const char* sql, const std::string& key) {
  Stmt st = db.prepare(sql);
  st.bind(1, key);
  int rc = st.step();
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return st.error("insert_user");
}

}  // namespace

Result<std::monostate> insert_user(Connection& db, const UserRow& user) {
  std::string username_key = fold_case(user.username);
  std::string email_key = fold_case(user.email);
  auto taken = key_taken(db, "SELECT 1 FROM users WHERE username_key = ?1", username_key);
  if (!taken) return taken.error();
  if (*taken) return Error::conflict("username_taken", "username is taken");
  taken = key_taken(db, "SELECT 1 FROM users WHERE email_key = ?1", email_key);
  if (!taken) return taken.error();
  if (*taken) return Error::conflict("email_taken", "email is taken");

  Stmt st = db.prepare(
      "INSERT INTO users (id, username, username_key, email, email_key, display_name, display_name_key,"
      " password_hash, created_at, last_seen_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
  st.bind(1, user.id)
      .bind(2, user.username)
      .bind(3, username_key)
      .bind(4, user.email)
      .bind(5, email_key)
      .bind(6, user.display_name)
      .bind(7, fold_case(user.display_name))
      .bind(8, user.password_hash)
      .bind(9, user.created_at)
      .bind(10, user.last_seen_at);
  if (st.run()) return std::monostate{};
  if (is_constraint(st.rc())) return Error::conflict("id_taken", "a user with this id exists");
  return st.error("insert_user");
}

Result<std::monostate> set_last_seen(Connection& db, Id user, TimeMs at) {
  Stmt st = db.prepare("UPDATE users SET last_seen_at = max(last_seen_at, ?2) WHERE id = ?1");
  st.bind(1, user).bind(2, at);
  if (!st.run()) return st.error("set_last_seen");
  if (db.changes() == 0) return Error::not_found("no such user");
  return std::monostate{};
}

Result<std::optional<UserRow>> user_by_id(Connection& db, Id id) {
  Stmt st = db.prepare("SELECT " PARLEY_USER_COLUMNS("u") " FROM users u WHERE u.id = ?1");
  st.bind(1, id);
  int rc = st.step();
  if (rc == SQLITE_ROW) return std::optional<UserRow>(read_user(st, 0));
  if (rc == SQLITE_DONE) return std::optional<UserRow>();
  return st.error("user_by_id");
}

Result<std::optional<UserRow>> user_by_login(Connection& db, std::string_view username_or_email) {
  // A username never contains '@', so at most one row matches a well-formed
  // input; should two, the username wins.
  Stmt st = db.prepare("SELECT " PARLEY_USER_COLUMNS("u") " FROM users u"
                       " WHERE u.username_key = ?1 OR u.email_key = ?1"
                       " ORDER BY u.username_key = ?1 DESC LIMIT 1");
  st.bind(1, fold_case(username_or_email));
  int rc = st.step();
  if (rc == SQLITE_ROW) return std::optional<UserRow>(read_user(st, 0));
  if (rc == SQLITE_DONE) return std::optional<UserRow>();
  return st.error("user_by_login");
}

Result<std::vector<UserRow>> users_by_ids(Connection& db, const std::vector<Id>& ids) {
  std::vector<UserRow> out;
  if (ids.empty()) return out;
  // One statement for any number of ids: the ids travel as a JSON array.
  std::string list = "[";
  for (Id id : ids) {
    if (list.size() > 1) list += ',';
    list += std::to_string(id);
  }
  list += ']';
  Stmt st = db.prepare("SELECT " PARLEY_USER_COLUMNS("u") " FROM users u"
                       " WHERE u.id IN (SELECT value FROM json_each(?1))");
  st.bind(1, list);
  while (st.step() == SQLITE_ROW) out.push_back(read_user(st, 0));
  if (st.rc() != SQLITE_DONE) return st.error("users_by_ids");
  return out;
}

Result<std::vector<UserRow>> search_users(Connection& db, std::string_view query, Id exclude, int limit) {
  std::vector<UserRow> out;
  if (limit <= 0) return out;
  // Range scans on the folded keys: no LIKE, so no wildcard to escape.
  std::string low = fold_case(query);
  std::string high = prefix_end(low);
  Stmt st = db.prepare("SELECT " PARLEY_PUBLIC_USER_COLUMNS("u") " FROM users u"
                       " WHERE u.id <> ?4 AND ((u.username_key >= ?1 AND u.username_key < ?2)"
                       "   OR (u.display_name_key >= ?1 AND u.display_name_key < ?2)"
                       "   OR u.email_key = ?1)"
                       " ORDER BY u.username_key, u.id LIMIT ?3");
  st.bind(1, low).bind(2, high).bind(3, limit).bind(4, exclude);
  while (st.step() == SQLITE_ROW) out.push_back(read_public_user(st, 0));
  if (st.rc() != SQLITE_DONE) return st.error("search_users");
  return out;
}

}  // namespace parley::store::sqlite
