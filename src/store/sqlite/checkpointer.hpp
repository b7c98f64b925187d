#pragma once
// Checkpointer: copies the WAL back into the database file on its own thread and
// its own connection, so that no commit of the writer thread pays for it.
//
// Why: SQLite's automatic checkpoint runs inside the COMMIT that takes the WAL
// past wal_autocheckpoint pages, on the committing connection: the writer thread
// then copies 1,000 pages and fsyncs the database file between two batches, and
// every send queued behind them waits (bench/analysis.md). Here the write
// connection has the automatic checkpoint off and a WAL hook (attach()) that
// reports the WAL's size after each commit; every `passive_pages` new frames it
// wakes this thread, which runs a PASSIVE checkpoint: it never waits for and
// never blocks the writer or the readers, and copies what no reader still needs.
//
// The WAL starts again from its beginning only when a commit finds every frame
// copied, and under steady load a background checkpoint never catches up with
// the commits made while it ran. So once the WAL holds `wrap_pages` frames, the
// hook itself copies the rest on the writer thread (as SQLite's own automatic
// checkpoint would, but only the frames since the last background checkpoint,
// once per `wrap_pages` instead of every 1,000 pages); the next commit then
// starts the WAL again and journal_size_limit trims the file.
//
// Bound: a reader that stays inside one snapshot keeps the WAL from starting
// again. Past `restart_pages` frames, when a PASSIVE checkpoint could not copy
// every frame, the background runs a RESTART: it waits (busy timeout) for such
// readers and blocks new write transactions meanwhile, so the WAL cannot grow
// without bound. A RESTART that times out is tried again after the next
// `passive_pages` frames. While it waits it holds the checkpoint lock, so the
// writer's own copies find it busy and are tried again at the next commit.
//
// Durability is SQLite's: a checkpoint syncs the WAL before it copies and the
// database file before the WAL may be reused (this connection runs with the same
// `synchronous` as the writer).
//
// Ownership: owns its connection and thread. Thread-safety: attach()/detach()
// while the writer thread does not run (before it starts, after it stopped);
// the hook runs on the writer thread; stats() from any thread. Stop it (or
// destroy it) after detach() and before the write connection closes, so that the
// last connection to close is the writer's (SQLite then removes the WAL).

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/result.hpp"
#include "store/sqlite/connection.hpp"

namespace parley::store::sqlite {

struct CheckpointerOptions {
  int passive_pages = 1000;   // new WAL frames between two background checkpoints (SQLite's own default)
  int wrap_pages = 16384;     // WAL frames past which the writer copies the rest itself (64 MiB of 4 KiB pages)
  int restart_pages = 65536;  // WAL frames past which the background checkpoint waits for readers
  // How long a RESTART waits for the writer and the readers. Keep it well under
  // the writer's own busy timeout: a write transaction waiting behind a RESTART
  // must not time out (its sends would fail) before the RESTART gives up.
  int busy_timeout_ms = 1000;
  bool synchronous_full = true;
};

struct CheckpointerStats {
  std::uint64_t passive = 0;     // PASSIVE checkpoints run in the background
  std::uint64_t on_writer = 0;   // checkpoints run by the WAL hook on the writer thread
  std::uint64_t restart = 0;     // RESTART checkpoints that completed
  std::uint64_t busy = 0;        // checkpoints that could not finish (busy, locked)
  std::uint64_t failed = 0;      // other errors (logged)
  std::uint64_t frames_copied = 0;
  std::uint64_t wal_restarts = 0;  // commits that found the WAL started again from its beginning
  std::int64_t wal_pages = 0;      // WAL frames after the latest commit, as the hook saw them
};

class Checkpointer {
 public:
  // Opens its own read-write connection to `path` and starts the thread.
  static Result<std::unique_ptr<Checkpointer>> open(const std::string& path, const CheckpointerOptions& options);

  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;
  ~Checkpointer();

  // Turns off the automatic checkpoint of `writer` and installs the WAL hook.
  // REQUIRES: no thread uses `writer` meanwhile.
  Status attach(Connection& writer);
  // Removes the hook. REQUIRES: as attach().
  void detach(Connection& writer);

  // Stops the thread (a checkpoint in progress finishes first) and closes the
  // connection. Idempotent.
  void stop();

  CheckpointerStats stats() const;

 private:
  Checkpointer(std::unique_ptr<Connection> db, const CheckpointerOptions& options);

  // The WAL hook: on the writer thread, after each commit, inside sqlite3_step
  // of the COMMIT. Takes a lock and maybe wakes the thread; past wrap_pages
  // runs a checkpoint on the writer's connection.
  static int on_wal_commit(void* self, struct sqlite3* db, const char* schema, int pages);
  void on_commit(struct sqlite3* writer, int pages);
  void do_loop();
  // true: it ran, and some frames could not be copied (a reader still needs them).
  bool do_checkpoint(bool restart);

  std::unique_ptr<Connection> db_;  // only the checkpointer thread touches it
  const CheckpointerOptions options_;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool pending_ = false;          // GUARDED_BY(mu_)
  bool stopping_ = false;         // GUARDED_BY(mu_)
  std::int64_t requested_at_ = 0; // GUARDED_BY(mu_): WAL frames when the last checkpoint was asked for
  std::int64_t wrapped_at_ = 0;   // writer thread only: WAL frames when the hook last checkpointed
  CheckpointerStats stats_;       // GUARDED_BY(mu_)

  std::thread thread_;  // last: starts after everything above is built
};

}  // namespace parley::store::sqlite
