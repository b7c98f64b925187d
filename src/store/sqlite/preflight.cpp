#include "store/sqlite/preflight.hpp"

#include <sqlite3.h>

#include <array>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>

#include "store/sqlite/connection.hpp"
#include "store/sqlite/migrations.hpp"

namespace parley::store::sqlite {

namespace {

Error refuse(std::string code, const std::string& path, const std::string& problem) {
  return Error{ErrorKind::unavailable, std::move(code), path + ": " + problem};
}

// The first 100 bytes of a database file are its header; it opens with this.
constexpr char sqlite_magic[16] = "SQLite format 3";  // 15 characters and a NUL

Status check_header(const std::string& path, std::uintmax_t size) {
  if (size < 100) return refuse("not_a_database", path, "not a SQLite database (file too short)");
  std::ifstream in(path, std::ios::binary);
  std::array<char, 16> head{};
  if (!in.read(head.data(), head.size())) return refuse("open_failed", path, "cannot read the file header");
  if (std::memcmp(head.data(), sqlite_magic, sizeof sqlite_magic) != 0) {
    return refuse("not_a_database", path, "not a SQLite database (bad header)");
  }
  return Status::success();
}

// An error while reading through SQLite: damage, or the file is busy/unreadable.
Error read_failure(const std::string& path, int rc, const Error& error) {
  int primary = rc & 0xff;
  if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) {
    return refuse("corrupt_database", path, "database file is corrupt (" + error.message + ")");
  }
  return refuse("open_failed", path, "cannot read the database (" + error.message + ")");
}

Status check_contents(Connection& db, bool quick_check) {
  const std::string& path = db.path();
  Stmt objects = db.prepare("SELECT count(*) FROM sqlite_schema");
  if (objects.step() != SQLITE_ROW) return read_failure(path, objects.rc(), objects.error("reading the schema"));
  std::int64_t object_count = objects.i64(0);

  auto version = db.query_int("PRAGMA user_version");
  auto app_id = db.query_int("PRAGMA application_id");
  if (!version || !app_id) {
    const Error& e = !version ? version.error() : app_id.error();
    return refuse("corrupt_database", path, "cannot read the database header (" + e.message + ")");
  }
  if (*app_id != 0 && *app_id != parley_application_id) {
    return refuse("foreign_database", path,
                  "a SQLite database of another application (application_id " + std::to_string(*app_id) + ")");
  }
  if (*version == 0 && object_count > 0) {
    return refuse("foreign_database", path, "a SQLite database with tables but no Parley schema version");
  }
  if (*version > 0 && *app_id != parley_application_id) {
    return refuse("foreign_database", path, "a SQLite database of another application (no Parley application_id)");
  }
  if (*version > latest_schema_version()) {
    return refuse("schema_too_new", path,
                  "database schema version " + std::to_string(*version) + " is newer than this build supports (" +
                      std::to_string(latest_schema_version()) + "); upgrade parley");
  }
  if (!quick_check) return Status::success();

  Stmt check = db.prepare("PRAGMA quick_check(5)");
  std::string problems;
  while (check.step() == SQLITE_ROW) {
    std::string line = check.text(0);
    if (line == "ok") continue;
    if (!problems.empty()) problems += "; ";
    problems += line;
  }
  if (check.rc() != SQLITE_DONE) return read_failure(path, check.rc(), check.error("quick_check"));
  if (!problems.empty()) return refuse("corrupt_database", path, "database file is corrupt (" + problems + ")");
  return Status::success();
}

// file:PATH?immutable=1, with the URI's special characters escaped.
std::string immutable_uri(const std::string& path) {
  std::string uri = "file:";
  for (char c : path) {
    if (c == '%' || c == '?' || c == '#') {
      static constexpr char hex[] = "0123456789ABCDEF";
      uri += '%';
      uri += hex[(static_cast<unsigned char>(c) >> 4) & 0xf];
      uri += hex[static_cast<unsigned char>(c) & 0xf];
    } else {
      uri += c;
    }
  }
  return uri + "?immutable=1";
}

}  // namespace

Status preflight(const std::string& path, bool quick_check, int busy_timeout_ms) {
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (ec || status.type() == std::filesystem::file_type::not_found) return Status::success();
  if (status.type() != std::filesystem::file_type::regular) {
    return refuse("open_failed", path, "not a regular file");
  }
  std::uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) return refuse("open_failed", path, "cannot read the file size: " + ec.message());
  if (size == 0) return Status::success();
  if (Status s = check_header(path, size); !s) return s;

  // A read-only connection to a WAL database still creates -wal and -shm files
  // beside it. Without a -wal file the main file holds every committed change
  // (a clean close checkpoints and removes it), so read it as immutable: no
  // locks, no side files. With one (a crash, or another process has it open),
  // read through it, as SQLite's recovery would.
  std::filesystem::path wal = path + "-wal";
  bool has_wal = std::filesystem::exists(wal, ec);
  auto opened = Connection::open(path, SQLITE_OPEN_READONLY, has_wal ? std::string() : immutable_uri(path));
  if (!opened) return refuse("open_failed", path, opened.error().message);
  std::unique_ptr<Connection> db = std::move(opened).value();
  sqlite3_busy_timeout(db->handle(), busy_timeout_ms);
  return check_contents(*db, quick_check);
}

}  // namespace parley::store::sqlite
