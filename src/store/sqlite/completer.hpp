#pragma once
// Completer: runs the completions of committed (or failed) write transactions
// on its own thread, in the order the writer hands them over.
//
// Why: a send's completion builds its ack and its broadcast and posts them to
// the IO threads; on the writer thread that was ≈ 15% of its time, time in
// which no transaction ran. Here it overlaps the next transaction. The order
// of transactions is kept: SQLite's completions come in commit (seq) order.
// Callers may not count on it (store.hpp promises no order, so that a backend
// can complete on several threads); the chat layer restores seq order itself.
//
// Bounds: at most `max_pending` transactions wait; push() blocks beyond that,
// which slows the writer down rather than letting completions pile up.
//
// Ownership: owns its thread and the jobs pushed until they are completed and
// destroyed. Thread-safety: push() from one thread (the writer); stop() from
// any thread, once nothing pushes any more.

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

namespace parley::store::sqlite {

class WriteJob;

// One transaction's jobs and what became of each.
struct FinishedBatch {
  std::vector<std::unique_ptr<WriteJob>> jobs;
  std::vector<std::optional<Error>> outcome;  // per job: its own error, if any
  std::optional<Error> failure;               // the whole transaction's, if it failed
};

class Completer {
 public:
  // `completed` is incremented before each job completes (a caller that sees
  // its result also sees it counted); it must outlive the Completer.
  Completer(std::size_t max_pending, std::atomic<std::uint64_t>& completed);
  Completer(const Completer&) = delete;
  Completer& operator=(const Completer&) = delete;
  ~Completer();  // stop()

  void push(FinishedBatch batch);
  // Completes everything pushed, then joins the thread. Idempotent.
  void stop();

 private:
  void do_loop();
  void complete_all(FinishedBatch& batch);

  const std::size_t max_pending_;
  std::atomic<std::uint64_t>& completed_;
  std::mutex mu_;
  std::condition_variable has_work_;
  std::condition_variable has_room_;
  std::deque<FinishedBatch> pending_;  // GUARDED_BY(mu_)
  bool stopping_ = false;              // GUARDED_BY(mu_)
  std::thread thread_;                 // last: starts after everything above is built
};

}  // namespace parley::store::sqlite
