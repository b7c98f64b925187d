#include "app/backup.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <system_error>

#include "app/data_dir_lock.hpp"
#include "auth/secret.hpp"
#include "store/sqlite/online_backup.hpp"

namespace parley::app {

namespace {

namespace fs = std::filesystem;

constexpr const char* kFormat = "parley-backup";
constexpr int kFormatVersion = 1;
constexpr const char* kManifest = "manifest.json";
constexpr const char* kDatabase = "parley.db";
constexpr const char* kMedia = "media";
constexpr const char* kMediaTmp = "tmp";  // media/tmp: uploads in progress, never backed up

int fail(const std::string& message) {
  std::fprintf(stderr, "parley: %s\n", message.c_str());
  return 1;
}

struct TreeStats {
  long long files = 0;
  long long bytes = 0;
};

// Copies the regular files and folders of `from` into `to` (created), skipping
// `from/<skip_top>` and anything that is neither (symlinks, sockets).
Result<TreeStats> copy_tree(const fs::path& from, const fs::path& to, const std::string& skip_top) {
  TreeStats stats;
  std::error_code ec;
  fs::create_directories(to, ec);
  if (ec) return Error::internal("cannot create " + to.string() + ": " + ec.message());
  fs::recursive_directory_iterator it(from, ec), end;
  if (ec) return Error::internal("cannot read " + from.string() + ": " + ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec) return Error::internal("cannot read " + from.string() + ": " + ec.message());
    const fs::path relative = it->path().lexically_relative(from);
    if (it.depth() == 0 && !skip_top.empty() && relative == skip_top) {
      it.disable_recursion_pending();
      continue;
    }
    const auto status = it->symlink_status(ec);
    if (fs::is_directory(status)) {
      fs::create_directories(to / relative, ec);
    } else if (fs::is_regular_file(status)) {
      fs::copy_file(it->path(), to / relative, fs::copy_options::overwrite_existing, ec);
      if (!ec) {
        ++stats.files;
        stats.bytes += static_cast<long long>(it->file_size());
      }
    }
    if (ec) return Error::internal("cannot copy " + it->path().string() + ": " + ec.message());
  }
  return stats;
}

// Flushes the file system that holds `path` (every file copied there), then the
// folder entry itself.
void sync_filesystem(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::syncfs(fd);
  ::fsync(fd);
  ::close(fd);
}

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

bool write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  return static_cast<bool>(out.flush());
}

// ---- the manifest ----

struct Manifest {
  long long database_bytes = 0;
  long long database_pages = 0;
  int schema_version = 0;
  bool jwt_secret = false;
  std::optional<TreeStats> media;
  std::string parley_version;
  std::string created_at;
};

std::string render(const Manifest& manifest) {
  boost::json::object root;
  root["format"] = kFormat;
  root["formatVersion"] = kFormatVersion;
  root["parleyVersion"] = manifest.parley_version;
  root["createdAt"] = manifest.created_at;
  root["database"] = {{"file", kDatabase},
                      {"bytes", manifest.database_bytes},
                      {"pages", manifest.database_pages},
                      {"schemaVersion", manifest.schema_version}};
  root["jwtSecret"] = manifest.jwt_secret;
  if (manifest.media) root["media"] = {{"files", manifest.media->files}, {"bytes", manifest.media->bytes}};
  else root["media"] = nullptr;
  return boost::json::serialize(root) + "\n";
}

Result<Manifest> read_manifest(const fs::path& backup) {
  const fs::path path = backup / kManifest;
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::bad_request("not_a_backup", backup.string() + " is not a Parley backup (no " + kManifest + ")");
  std::stringstream text;
  text << in.rdbuf();
  const auto bad = [&](const std::string& why) {
    return Error::bad_request("bad_manifest", path.string() + ": " + why);
  };
  boost::system::error_code ec;
  const boost::json::value value = boost::json::parse(text.str(), ec);
  if (ec || !value.is_object()) return bad("not a JSON object");
  const auto& root = value.get_object();
  const auto* format = root.if_contains("format");
  if (!format || !format->is_string() || format->get_string() != kFormat) return bad("not a parley-backup manifest");
  const auto* version = root.if_contains("formatVersion");
  if (!version || !version->is_int64() || version->get_int64() != kFormatVersion)
    return bad("format version other than 1 (made by a newer parley?)");
  Manifest manifest;
  const auto* database = root.if_contains("database");
  if (!database || !database->is_object()) return bad("no database entry");
  const auto* bytes = database->get_object().if_contains("bytes");
  const auto* schema = database->get_object().if_contains("schemaVersion");
  if (!bytes || !bytes->is_int64() || !schema || !schema->is_int64()) return bad("database entry incomplete");
  manifest.database_bytes = bytes->get_int64();
  manifest.schema_version = static_cast<int>(schema->get_int64());
  const auto* secret = root.if_contains("jwtSecret");
  if (!secret || !secret->is_bool()) return bad("no jwtSecret entry");
  manifest.jwt_secret = secret->get_bool();
  const auto* media = root.if_contains("media");
  if (media && media->is_object()) manifest.media = TreeStats{};
  if (const auto* created = root.if_contains("createdAt"); created && created->is_string())
    manifest.created_at = created->get_string();
  return manifest;
}

// The backup's files are those its manifest lists.
Status check_contents(const fs::path& backup, const Manifest& manifest) {
  std::error_code ec;
  const fs::path database = backup / kDatabase;
  const auto size = fs::file_size(database, ec);
  if (ec) return Error::bad_request("incomplete_backup", database.string() + " is missing");
  if (static_cast<long long>(size) != manifest.database_bytes)
    return Error::bad_request("incomplete_backup", database.string() + " has " + std::to_string(size) +
                                                       " bytes, the manifest says " +
                                                       std::to_string(manifest.database_bytes));
  if (manifest.jwt_secret && !fs::is_regular_file(backup / auth::secret_file_name, ec))
    return Error::bad_request("incomplete_backup", (backup / auth::secret_file_name).string() + " is missing");
  if (manifest.media && !fs::is_directory(backup / kMedia, ec))
    return Error::bad_request("incomplete_backup", (backup / kMedia).string() + " is missing");
  return Status::success();
}

// What in `dir` besides the lock file, for the "not empty" refusal.
std::vector<std::string> contents(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name != data_dir_lock_name) names.push_back(name);
  }
  return names;
}

}  // namespace

int run_backup(const BackupConfig& config) {
  std::error_code ec;
  const fs::path data_dir = config.data_dir;
  const fs::path database = data_dir / kDatabase;
  if (!fs::is_regular_file(database, ec))
    return fail("no SQLite database at " + database.string() +
                " (on PostgreSQL, back up with pg_dump or pg_basebackup: docs/operations.md)");
  const fs::path target = config.to;
  if (fs::exists(target, ec)) return fail("--to " + target.string() + " already exists");
  const fs::path staging = target.string() + ".partial";
  if (!fs::create_directory(staging, ec))
    return fail("cannot create " + staging.string() + ": " +
                (ec ? ec.message() : "it exists (another backup running, or a failed one: remove it)"));
  const auto abandon = [&](const std::string& message) {
    fs::remove_all(staging, ec);
    return fail(message);
  };

  store::sqlite::OnlineBackupOptions options;
  options.pages_per_step = config.step_pages;
  options.pause = std::chrono::milliseconds(config.pause_ms);
  const auto started = std::chrono::steady_clock::now();
  auto copied = store::sqlite::online_backup(database.string(), (staging / kDatabase).string(), options);
  if (!copied) return abandon(copied.error().message);

  Manifest manifest;
  manifest.parley_version = PARLEY_VERSION;
  manifest.created_at = utc_now();
  manifest.database_pages = copied->pages;
  manifest.schema_version = copied->schema_version;
  manifest.database_bytes = static_cast<long long>(fs::file_size(staging / kDatabase, ec));

  const fs::path secret = data_dir / auth::secret_file_name;
  if (fs::is_regular_file(secret, ec)) {
    fs::copy_file(secret, staging / auth::secret_file_name, ec);
    if (ec) return abandon("cannot copy " + secret.string() + ": " + ec.message());
    fs::permissions(staging / auth::secret_file_name, fs::perms::owner_read | fs::perms::owner_write, ec);
    manifest.jwt_secret = true;
  }
  // After the database snapshot: media files are written before the rows that
  // name them commit and never change, so every file the snapshot names is there.
  if (fs::is_directory(data_dir / kMedia, ec)) {
    auto media = copy_tree(data_dir / kMedia, staging / kMedia, kMediaTmp);
    if (!media) return abandon(media.error().message);
    manifest.media = *media;
  }
  if (!write_text(staging / kManifest, render(manifest))) return abandon("cannot write the manifest");
  sync_filesystem(staging);
  fs::rename(staging, target, ec);
  if (ec) return abandon("cannot rename " + staging.string() + " to " + target.string() + ": " + ec.message());
  sync_filesystem(fs::absolute(target).parent_path());

  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  std::printf("backup written to %s: database %lld pages (schema %d), %s, %s; %d steps, longest step %.1f ms, %lld ms in all\n",
              target.c_str(), copied->pages, copied->schema_version,
              manifest.jwt_secret ? "jwt-secret" : "no jwt-secret file",
              manifest.media ? (std::to_string(manifest.media->files) + " media files").c_str() : "no media",
              copied->steps, static_cast<double>(copied->longest_step.count()) / 1000.0,
              static_cast<long long>(took.count()));
  return 0;
}

int run_restore(const RestoreConfig& config) {
  std::error_code ec;
  const fs::path backup = config.from;
  auto manifest = read_manifest(backup);
  if (!manifest) return fail(manifest.error().message);
  if (auto complete = check_contents(backup, *manifest); !complete) return fail(complete.error().message);

  const fs::path data_dir = config.data_dir;
  fs::create_directories(data_dir, ec);
  if (ec) return fail("cannot create data dir " + data_dir.string() + ": " + ec.message());
  // Held until we return: no server starts on the folder while it changes.
  auto lock = DataDirLock::acquire(data_dir);
  if (!lock) return fail(lock.error().message + ": stop the server first");
  const auto present = contents(data_dir);
  if (!present.empty() && !config.force)
    return fail("data dir " + data_dir.string() + " is not empty (" + present.front() +
                (present.size() > 1 ? " and " + std::to_string(present.size() - 1) + " more" : "") +
                "): restore into an empty folder, or pass --force to replace its database, secret and media");

  // Stage everything beside its final place, check the database copy, then swap.
  const fs::path staged_db = data_dir / "parley.db.restoring";
  const fs::path staged_secret = data_dir / "jwt-secret.restoring";
  const fs::path staged_media = data_dir / "media.restoring";
  const auto cleanup = [&] {
    fs::remove(staged_db, ec);
    fs::remove(staged_db.string() + "-journal", ec);
    fs::remove(staged_secret, ec);
    fs::remove_all(staged_media, ec);
  };
  const auto give_up = [&](const std::string& message) {
    cleanup();
    return fail(message);
  };
  cleanup();
  fs::copy_file(backup / kDatabase, staged_db, ec);
  if (ec) return give_up("cannot copy the database into " + data_dir.string() + ": " + ec.message());
  auto checked = store::sqlite::check_database(staged_db.string());
  if (!checked) return give_up("the backup's database is unusable: " + checked.error().message);
  if (manifest->jwt_secret) {
    fs::copy_file(backup / auth::secret_file_name, staged_secret, ec);
    if (!ec) fs::permissions(staged_secret, fs::perms::owner_read | fs::perms::owner_write, ec);
    if (ec) return give_up("cannot copy the jwt secret: " + ec.message());
  }
  if (manifest->media) {
    auto media = copy_tree(backup / kMedia, staged_media, "");
    if (!media) return give_up(media.error().message);
  }
  sync_filesystem(data_dir);

  // The old database's WAL and shared memory must go before the new file takes
  // its name: SQLite would otherwise replay the old WAL into the restored pages.
  const fs::path db = data_dir / kDatabase;
  // The search index (<db>-search.db) follows the old database's change
  // sequences: it goes too, and the indexer rebuilds it from the restored file.
  for (const char* suffix : {"-wal", "-shm", "-journal", "-search.db", "-search.db-wal", "-search.db-shm"}) {
    fs::remove(db.string() + suffix, ec);
  }
  fs::rename(staged_db, db, ec);
  if (ec) return give_up("cannot put the database in place: " + ec.message());
  if (manifest->jwt_secret) fs::rename(staged_secret, data_dir / auth::secret_file_name, ec);
  if (!ec && manifest->media) {
    fs::remove_all(data_dir / kMedia, ec);
    if (!ec) fs::rename(staged_media, data_dir / kMedia, ec);
  }
  if (ec) return give_up("restore incomplete (" + ec.message() + "): run it again with --force");
  sync_filesystem(data_dir);
  std::printf("restored %s (made %s, schema %d) into %s\n", backup.c_str(), manifest->created_at.c_str(),
              checked->schema_version, data_dir.c_str());
  return 0;
}

}  // namespace parley::app
