#include "store/sqlite/writer.hpp"

#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <exception>

namespace parley::store::sqlite {

namespace {

// Runs one statement from the connection's statement cache. The savepoint
// statements run twice per write job: through sqlite3_exec they were parsed
// every time (≈ 9% of the writer thread in the persist benchmark).
int run_cached(Connection& db, const char* sql) {
  Stmt st = db.prepare(sql);
  st.run();
  return st.rc() == SQLITE_DONE ? SQLITE_OK : st.rc();
}

Error as_unavailable(Error e) {
  e.kind = ErrorKind::unavailable;
  e.code = "unavailable";
  return e;
}

}  // namespace

Writer::Writer(std::unique_ptr<Connection> db, int max_batch, int max_queue, TransactionState* state)
    : db_(std::move(db)),
      state_(state),
      max_batch_(static_cast<std::size_t>(std::max(1, max_batch))),
      max_queue_(static_cast<std::size_t>(std::max(1, max_queue))),
      completer_(kPendingTransactions, jobs_),
      thread_([this] { do_loop(); }) {}

Writer::~Writer() { stop(); }

bool Writer::submit(std::unique_ptr<WriteJob>&& job, bool wait) {
  {
    std::unique_lock lock(mu_);
    if (wait) has_room_.wait(lock, [&] { return stopping_ || queue_.size() < max_queue_; });
    if (stopping_ || queue_.size() >= max_queue_) return false;
    queue_.push_back(std::move(job));
  }
  has_work_.notify_one();
  return true;
}

void Writer::stop() {
  std::lock_guard stop_lock(stop_mu_);
  if (stopped_) return;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  has_work_.notify_all();
  has_room_.notify_all();
  if (thread_.joinable()) thread_.join();
  completer_.stop();  // the last transactions' completions run before stop() returns
  stopped_ = true;
}

bool Writer::stopped() const { return stopped_; }

Connection* Writer::connection_after_stop() { return stopped_ ? db_.get() : nullptr; }

WriterStats Writer::stats() const {
  return {transactions_.load(), jobs_.load(), failed_transactions_.load(), largest_batch_.load(),
          static_cast<double>(commit_nanos_.load()) / 1e9};
}

std::size_t Writer::queue_depth() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

void Writer::do_loop() {
  pthread_setname_np(pthread_self(), "sqlite-writer");  // for top -H and perf: the thread that bounds sends
  std::vector<std::unique_ptr<WriteJob>> batch;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      has_work_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything queued has run
      std::size_t n = std::min(queue_.size(), max_batch_);
      for (std::size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    has_room_.notify_all();
    do_batch(batch);
    batch.clear();
  }
}

void Writer::group_commuting_jobs(std::vector<std::unique_ptr<WriteJob>>& jobs) {
  auto by_group = [](const std::unique_ptr<WriteJob>& a, const std::unique_ptr<WriteJob>& b) {
    return a->commute_group() < b->commute_group();
  };
  auto run_start = jobs.begin();
  while (run_start != jobs.end()) {
    if ((*run_start)->commute_group() == 0) {
      ++run_start;
      continue;
    }
    auto run_end = std::find_if(run_start, jobs.end(), [](const auto& job) { return job->commute_group() == 0; });
    std::stable_sort(run_start, run_end, by_group);
    run_start = run_end;
  }
}

void Writer::do_batch(std::vector<std::unique_ptr<WriteJob>>& jobs) {
  // Spread-out senders interleave conversations job by job: run in that order,
  // each insert walks to another leaf of each index. Grouped, the INSERTs of an
  // open-loop batch took 15–20% less time (bench/analysis.md, "Grouped batches").
  group_commuting_jobs(jobs);
  // Kept across batches: a fresh vector per batch was a large allocation (up
  // to max_batch entries) and a malloc_consolidate on every commit.
  outcome_.clear();
  outcome_.resize(jobs.size());
  std::size_t next = 0;
  while (next < jobs.size()) next = do_transaction(jobs, next, outcome_);
}

std::size_t Writer::do_transaction(std::vector<std::unique_ptr<WriteJob>>& jobs, std::size_t next,
                                   std::vector<std::optional<Error>>& outcome) {
  const std::size_t first = next;
  int rc = run_cached(*db_, "BEGIN IMMEDIATE");
  if (rc != SQLITE_OK) {
    do_abandon(jobs, first, jobs.size(), outcome, as_unavailable(db_->error(rc, "begin write transaction")));
    return jobs.size();
  }
  bool intact = true;
  while (next < jobs.size() && intact) {
    intact = do_job(*jobs[next], outcome[next]);
    ++next;
  }
  if (!intact) {
    do_abandon(jobs, first, next, outcome,
               Error::unavailable("the write transaction was abandoned: " + std::string(sqlite3_errmsg(db_->handle()))));
    return next;
  }
  if (state_ != nullptr) {
    if (Status s = state_->before_commit(*db_); !s) {
      spdlog::error("sqlite: {}", s.error().message);
      do_abandon(jobs, first, next, outcome, as_unavailable(s.error()));
      return next;
    }
  }
  const auto commit_start = std::chrono::steady_clock::now();
  rc = run_cached(*db_, "COMMIT");
  commit_nanos_ += static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - commit_start).count());
  if (rc != SQLITE_OK) {
    Error failure = as_unavailable(db_->error(rc, "commit"));
    spdlog::error("sqlite: {}", failure.message);
    do_abandon(jobs, first, next, outcome, failure);
    return next;
  }
  if (state_ != nullptr) state_->transaction_ended();
  transactions_++;
  std::uint64_t size = next - first;
  std::uint64_t largest = largest_batch_.load();
  while (size > largest && !largest_batch_.compare_exchange_weak(largest, size)) {
  }
  on_done(jobs, first, next, outcome, nullptr);
  return next;
}

void Writer::do_abandon(std::vector<std::unique_ptr<WriteJob>>& jobs, std::size_t first, std::size_t last,
                        std::vector<std::optional<Error>>& outcome, const Error& failure) {
  if (db_->in_transaction()) db_->exec("ROLLBACK");
  if (state_ != nullptr) state_->transaction_ended();
  failed_transactions_++;
  on_done(jobs, first, last, outcome, &failure);
}

bool Writer::do_atomic_job(WriteJob& job, std::optional<Error>& outcome) {
  bool keep = false;
  try {
    keep = job.run(*db_);
  } catch (const std::exception& e) {
    outcome = Error::internal(std::string("write failed: ") + e.what());
    return false;  // no savepoint to undo what it did: the transaction goes
  } catch (...) {
    outcome = Error::internal("write failed: unknown exception");
    return false;
  }
  if (!db_->in_transaction()) return false;
  if (state_ != nullptr) {
    if (keep) {
      state_->job_released();
    } else {
      state_->job_rolled_back();
    }
  }
  return true;
}

bool Writer::do_job(WriteJob& job, std::optional<Error>& outcome) {
  if (job.atomic()) return do_atomic_job(job, outcome);
  int rc = run_cached(*db_, "SAVEPOINT job");
  if (rc != SQLITE_OK) {
    outcome = as_unavailable(db_->error(rc, "savepoint"));
    return db_->in_transaction();
  }
  bool keep = false;
  try {
    keep = job.run(*db_);
  } catch (const std::exception& e) {
    outcome = Error::internal(std::string("write failed: ") + e.what());
  } catch (...) {
    outcome = Error::internal("write failed: unknown exception");
  }
  // SQLite rolls the whole transaction back by itself after some errors
  // (SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM): then nothing of it can commit.
  if (!db_->in_transaction()) return false;
  if (keep && !outcome) {
    rc = run_cached(*db_, "RELEASE job");
    if (rc == SQLITE_OK && state_ != nullptr) state_->job_released();
  } else {
    rc = run_cached(*db_, "ROLLBACK TO job");
    if (rc == SQLITE_OK) {
      if (state_ != nullptr) state_->job_rolled_back();
      rc = run_cached(*db_, "RELEASE job");
    }
  }
  if (rc != SQLITE_OK) {
    spdlog::error("sqlite: ending savepoint failed: {}", sqlite3_errmsg(db_->handle()));
    return false;
  }
  return true;
}

void Writer::on_done(std::vector<std::unique_ptr<WriteJob>>& jobs, std::size_t first, std::size_t last,
                     std::vector<std::optional<Error>>& outcome, const Error* failure) {
  FinishedBatch finished;
  finished.jobs.reserve(last - first);
  finished.outcome.reserve(last - first);
  for (std::size_t i = first; i < last; ++i) {
    finished.jobs.push_back(std::move(jobs[i]));
    finished.outcome.push_back(std::move(outcome[i]));
  }
  if (failure != nullptr) finished.failure = *failure;
  completer_.push(std::move(finished));
}

}  // namespace parley::store::sqlite
