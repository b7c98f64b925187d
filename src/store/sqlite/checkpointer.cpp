#include "store/sqlite/checkpointer.hpp"

#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>

namespace parley::store::sqlite {

Result<std::unique_ptr<Checkpointer>> Checkpointer::open(const std::string& path, const CheckpointerOptions& options) {
  auto db = Connection::open(path, SQLITE_OPEN_READWRITE);
  if (!db) return db.error();
  sqlite3_busy_timeout((*db)->handle(), options.busy_timeout_ms);
  // The checkpoint's syncs follow this connection's setting, not the writer's.
  const char* sync = options.synchronous_full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL";
  if (Status s = (*db)->exec_status(sync, path + ": checkpointer"); !s) return s.error();
  // It copies frames straight from the WAL to the file: no use for a page cache.
  if (Status s = (*db)->exec_status("PRAGMA cache_size = -256", path + ": checkpointer"); !s) return s.error();
  return std::unique_ptr<Checkpointer>(new Checkpointer(std::move(db).value(), options));
}

Checkpointer::Checkpointer(std::unique_ptr<Connection> db, const CheckpointerOptions& options)
    : db_(std::move(db)), options_(options), thread_([this] { do_loop(); }) {}

Checkpointer::~Checkpointer() { stop(); }

Status Checkpointer::attach(Connection& writer) {
  // wal_autocheckpoint = 0 removes SQLite's own hook; ours replaces it anyway,
  // but the pragma says what is meant to anyone reading the connection's state.
  if (Status s = writer.exec_status("PRAGMA wal_autocheckpoint = 0", writer.path() + ": checkpointer"); !s) return s;
  sqlite3_wal_hook(writer.handle(), &Checkpointer::on_wal_commit, this);
  return Status::success();
}

void Checkpointer::detach(Connection& writer) { sqlite3_wal_hook(writer.handle(), nullptr, nullptr); }

void Checkpointer::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  db_.reset();  // before the writer's connection: the last one to close removes the WAL
}

CheckpointerStats Checkpointer::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

int Checkpointer::on_wal_commit(void* self, sqlite3* db, const char*, int pages) {
  static_cast<Checkpointer*>(self)->on_commit(db, pages);
  return SQLITE_OK;
}

void Checkpointer::on_commit(sqlite3* writer, int pages) {
  if (pages < wrapped_at_) wrapped_at_ = 0;
  if (pages >= options_.wrap_pages && pages - wrapped_at_ >= options_.passive_pages) {
    // Copies what the background checkpoints left (they run behind the
    // commits); the next commit then finds the WAL copied and starts it again.
    int log_frames = 0;
    int copied = 0;
    int rc = sqlite3_wal_checkpoint_v2(writer, nullptr, SQLITE_CHECKPOINT_PASSIVE, &log_frames, &copied);
    std::lock_guard lock(mu_);
    if (rc == SQLITE_OK) {
      // If a reader kept it from copying everything, not again before
      // passive_pages more frames (the background RESTART deals with readers).
      wrapped_at_ = pages;
      stats_.on_writer++;
    } else {
      stats_.busy++;  // a background checkpoint holds the lock: again at the next commit
    }
  }
  {
    std::lock_guard lock(mu_);
    if (pages < stats_.wal_pages) stats_.wal_restarts++;
    stats_.wal_pages = pages;
    if (pages < requested_at_) requested_at_ = 0;  // the writer started the WAL again
    if (pages - requested_at_ < options_.passive_pages) return;
    requested_at_ = pages;
    pending_ = true;
  }
  wake_.notify_one();
}

void Checkpointer::do_loop() {
  pthread_setname_np(pthread_self(), "sqlite-ckpt");
  for (;;) {
    bool large = false;
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [&] { return stopping_ || pending_; });
      if (stopping_) return;  // the store's final checkpoint (TRUNCATE) follows
      pending_ = false;
      large = stats_.wal_pages >= options_.restart_pages;
    }
    // A RESTART only when a reader keeps PASSIVE from copying everything: it
    // holds the checkpoint lock while it waits, which the writer's own
    // checkpoint needs, and it competes with the writer for the write lock.
    if (do_checkpoint(false) && large) do_checkpoint(true);
  }
}

bool Checkpointer::do_checkpoint(bool restart) {
  int log_frames = 0;
  int copied = 0;
  const int mode = restart ? SQLITE_CHECKPOINT_RESTART : SQLITE_CHECKPOINT_PASSIVE;
  int rc = sqlite3_wal_checkpoint_v2(db_->handle(), nullptr, mode, &log_frames, &copied);
  std::lock_guard lock(mu_);
  if (rc == SQLITE_OK) {
    (restart ? stats_.restart : stats_.passive)++;
    if (copied > 0) stats_.frames_copied += static_cast<std::uint64_t>(copied);
    return copied < log_frames;
  }
  if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) {
    // Another checkpoint ran, or RESTART timed out waiting for a reader: the
    // next request tries again.
    stats_.busy++;
    return false;
  }
  stats_.failed++;
  spdlog::warn("sqlite: checkpoint of {} failed: {}", db_->path(), sqlite3_errmsg(db_->handle()));
  return false;
}

}  // namespace parley::store::sqlite
