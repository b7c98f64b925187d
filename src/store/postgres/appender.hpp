#pragma once
// A thread with its own connection that stores appended messages in batches:
// every job waiting when the thread is free goes into one transaction (up to
// max_batch), with one statement locking the batch's conversations, one reading
// membership and earlier copies (idempotent retries), and one multi-row INSERT
// that also moves each conversation's last_seq once. Concurrent sends thus
// share round trips and a single COMMIT (one WAL flush).
//
// Seq and change_seq: the conversation row is locked (FOR NO KEY UPDATE) for the whole
// transaction, so seq = last_seq + 1 is gapless and commit order equals seq
// order, across appenders and across nodes. The store routes each
// conversation to one appender, so appenders lock disjoint rows and their
// commits overlap instead of queueing on each other.
//
// A batch that fails on one job's account (a clashing id) is rolled back and
// halved, recursively, so innocent appends still succeed, in batches. A batch whose
// connection dropped fails every job with unavailable (commit outcome
// unknown); a client retry with the same clientMsgId finds the stored copy if
// the commit did happen.
//
// Thread-safety: submit() from any thread. Completions run on this appender's
// thread, with no lock held. Destroying the Appender stops accepting, stores
// what is queued, then joins the thread; destroy it from a thread that is not
// its own (never from a completion).

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "common/result.hpp"
#include "store/postgres/pg_connection.hpp"
#include "store/postgres/write_counters.hpp"
#include "store/store.hpp"

namespace parley::store::postgres {

struct AppendJob {
  MessageRow draft;
  std::function<void(Result<AppendResult>)> done;
};

struct AppenderOptions {
  std::string conninfo;
  int connect_timeout_s = 3;
  int max_batch = 4096;
  int max_queue = 65536;
  // After each commit that stored new messages, on this appender's thread:
  // the conversations they went to (the search indexer's work). May be empty.
  std::function<void(const std::vector<Id>&)> on_commit;
};

class Appender {
 public:
  // `conn` may be null: the thread connects on its first batch.
  Appender(AppenderOptions options, std::unique_ptr<Connection> conn, WriteCounters& counters);
  ~Appender();
  Appender(const Appender&) = delete;
  Appender& operator=(const Appender&) = delete;

  // Queues the job; false (job untouched, `done` not called) when closing or
  // the queue is full: the caller fails it with unavailable.
  bool submit(AppendJob& job);

 private:
  using Outcomes = std::vector<Result<AppendResult>>;
  void run();
  void process(std::vector<AppendJob>& batch);
  void store_range(std::span<AppendJob> jobs);
  // One transaction for `jobs`. An error: the transaction did not commit (or
  // its outcome is unknown); else one outcome per job.
  Result<Outcomes> try_batch(std::span<const AppendJob> jobs);
  Result<AppendResult> try_alone(const AppendJob& job);
  bool ensure_connected();
  void fail_all(std::vector<AppendJob>& batch, const Error& error);

  const AppenderOptions options_;
  WriteCounters& counters_;
  std::unique_ptr<Connection> db_;  // only the thread touches it after start
  std::chrono::steady_clock::time_point next_connect_{};
  std::chrono::milliseconds backoff_{0};
  Error connect_error_;

  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<AppendJob> queue_;  // GUARDED_BY(mu_)
  bool stopping_ = false;        // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace parley::store::postgres
