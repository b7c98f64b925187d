#pragma once
// Writer: the one thread that writes, and its queue.
//
// Group commit: the thread takes every queued job (up to max_batch), runs them
// in ONE transaction (BEGIN IMMEDIATE … COMMIT: one WAL fsync for the batch),
// then completes each job. Each job runs inside its own SAVEPOINT (or is
// atomic() by itself), so a job that fails (a constraint, not found) rolls back
// only itself. If COMMIT fails, or SQLite abandons the transaction (I/O error,
// disk full), every job of that transaction completes with
// ErrorKind::unavailable and none of it is stored.
// While one batch commits the next one queues, so the batch size follows load.
// Jobs that say they commute (WriteJob::commute_group) may run in another order
// than they were submitted; see there.
//
// Bounds: at most max_queue jobs wait. submit(job, wait=true) blocks until there
// is room; submit(job, wait=false) refuses at the bound. After stop() begins,
// submit refuses everything.
//
// Completions: WriteJob::complete runs on the Completer's thread (completer.hpp),
// in commit order, while the next transaction runs; a completion must not wait
// for the store (its own write would complete behind it).
//
// Ownership: owns the write Connection, the thread and the Completer.
// Thread-safety: submit() and stats() from any thread; WriteJob::run on the
// writer thread, WriteJob::complete on the completer thread.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "common/result.hpp"
#include "store/sqlite/completer.hpp"
#include "store/sqlite/connection.hpp"

namespace parley::store::sqlite {

class WriteJob {
 public:
  virtual ~WriteJob() = default;
  // Inside the job's SAVEPOINT. Return false to roll back this job's changes.
  virtual bool run(Connection& db) = 0;
  // After the transaction ended. `failure` is set when the job's work was not
  // committed for a reason outside the job (COMMIT failed, the transaction was
  // lost, the job threw); otherwise the job reports what run() decided.
  virtual void complete(const Error* failure) = 0;
  // true: run() needs no SAVEPOINT because whenever it returns false it has
  // changed nothing (e.g. its only write is one single-row statement, which
  // SQLite undoes by itself when it fails, and nothing can fail after it). A
  // savepoint per job costs its open and release and a copy into the
  // sub-journal of each page the job first touches inside it. If such a job throws, the whole
  // transaction is rolled back (what it changed is unknown).
  virtual bool atomic() const { return false; }
  // Nonzero: this job commutes with every job of another group (appends to
  // different conversations), and keeps its place among the jobs of its own
  // group. The writer runs each contiguous run of such jobs grouped by it, so
  // that consecutive inserts land in the same b-tree pages; a job that returns
  // 0 is never moved and nothing is moved across it.
  virtual std::int64_t commute_group() const { return 0; }
};

// Writer-thread state that lives for one transaction and follows its
// savepoints (ConversationSeqs is one): what a job changed is kept if its
// savepoint is released and undone if it is rolled back; before COMMIT the state
// writes itself into the transaction; when the transaction ends, committed or
// not, it starts empty. All calls on the writer thread.
class TransactionState {
 public:
  virtual ~TransactionState() = default;
  // After the last job, before COMMIT, inside the transaction. An error fails
  // the whole transaction (every job of it completes with unavailable).
  virtual Status before_commit(Connection& db) = 0;
  virtual void job_released() = 0;
  virtual void job_rolled_back() = 0;
  virtual void transaction_ended() = 0;
};

struct WriterStats {
  std::uint64_t transactions = 0;   // committed
  std::uint64_t jobs = 0;           // completed, whatever their outcome
  std::uint64_t failed_transactions = 0;
  std::uint64_t largest_batch = 0;  // jobs in one committed transaction
  double commit_seconds = 0;        // spent in COMMIT statements (WAL write and sync)
};

class Writer {
 public:
  // `state` (may be null) must outlive the Writer.
  Writer(std::unique_ptr<Connection> db, int max_batch, int max_queue, TransactionState* state = nullptr);
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;
  // stop(), then the connection closes.
  ~Writer();

  // false: refused (closing, or full and !wait); the job was not run nor
  // completed and `job` still holds it (moved from only when accepted).
  bool submit(std::unique_ptr<WriteJob>&& job, bool wait);

  // Stops accepting, runs every queued job, joins the thread. Idempotent.
  void stop();
  bool stopped() const;

  // After stop(): the connection, for the final checkpoint. Null before.
  Connection* connection_after_stop();

  WriterStats stats() const;
  // Jobs waiting (not yet taken into a batch).
  std::size_t queue_depth() const;

 private:
  void do_loop();
  void do_batch(std::vector<std::unique_ptr<WriteJob>>& jobs);
  // Stable-sorts each contiguous run of commuting jobs by group.
  static void group_commuting_jobs(std::vector<std::unique_ptr<WriteJob>>& jobs);
  // Runs jobs[next...] in one transaction; returns the index after the last one it ran.
  std::size_t do_transaction(std::vector<std::unique_ptr<WriteJob>>& jobs, std::size_t next,
                             std::vector<std::optional<Error>>& outcome);
  // One job in its savepoint; false if the transaction can no longer be committed.
  bool do_job(WriteJob& job, std::optional<Error>& outcome);
  // An atomic() job, without a savepoint; false as do_job, or if it threw.
  bool do_atomic_job(WriteJob& job, std::optional<Error>& outcome);
  void on_done(std::vector<std::unique_ptr<WriteJob>>& jobs, std::size_t first, std::size_t last,
               std::vector<std::optional<Error>>& outcome, const Error* failure);

  // Ends the transaction (ROLLBACK if still open) and fails jobs[first, last).
  void do_abandon(std::vector<std::unique_ptr<WriteJob>>& jobs, std::size_t first, std::size_t last,
                  std::vector<std::optional<Error>>& outcome, const Error& failure);

  std::unique_ptr<Connection> db_;  // only the writer thread touches it until stop() returns
  TransactionState* state_;         // only the writer thread
  std::vector<std::optional<Error>> outcome_;  // only the writer thread: per job of the batch
  const std::size_t max_batch_;
  const std::size_t max_queue_;

  mutable std::mutex mu_;
  std::condition_variable has_work_;
  std::condition_variable has_room_;
  std::deque<std::unique_ptr<WriteJob>> queue_;  // GUARDED_BY(mu_)
  bool stopping_ = false;                        // GUARDED_BY(mu_)
  std::mutex stop_mu_;                           // serializes stop()
  std::atomic<bool> stopped_{false};

  std::atomic<std::uint64_t> transactions_{0};
  std::atomic<std::uint64_t> jobs_{0};
  std::atomic<std::uint64_t> failed_transactions_{0};
  std::atomic<std::uint64_t> largest_batch_{0};
  std::atomic<std::uint64_t> commit_nanos_{0};

  // Transactions whose completions may wait while the next one runs.
  static constexpr std::size_t kPendingTransactions = 4;
  Completer completer_;  // after jobs_ (it counts into it); stopped after thread_ joins
  std::thread thread_;  // last: starts after everything above is built
};

}  // namespace parley::store::sqlite
