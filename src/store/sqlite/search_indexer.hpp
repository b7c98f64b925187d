#pragma once
// SearchIndexer: keeps the full-text index (search_index.hpp) in its own file,
// `<db>-search.db`, off the write path: the writer only hands over which
// conversations a commit changed; this thread brings them up to date after.
//
// Progress is the change sequence (docs/features.md): search.db's table
// `indexed(conversation_id, change_seq)` holds, per conversation, the highest
// change_seq whose changes are all in the index. To catch a conversation up,
// the indexer reads its messages with a higher change_seq (change_seq order, in
// batches), replaces each one's entry (deleted: removed) and moves
// indexed.change_seq, in one search.db transaction per batch (many
// conversations per transaction). A crash loses nothing: the work is redone
// from indexed.change_seq. search.db is synchronous=NORMAL for the same reason.
//
// Work discovery: changed() from the writer after each commit (a set under a
// mutex held only to insert or swap: the writer never waits for indexing);
// a full scan (conversations whose last_change_seq is past indexed.change_seq)
// at start and every `rescan` as a safety net.
//
// Read-your-writes: changed() also counts commits (a generation); the indexer
// publishes the generation it has processed; wait_caught_up() waits (bounded)
// until every commit made before the call is indexed. On timeout (the indexer
// lags under overload) search answers from what is indexed.
//
// Priority: the thread puts itself in SCHED_IDLE (Linux: it runs when a CPU has
// nothing else to run; sends measured at 0.82 and 0.90 of the index off, 0.81
// with nice +10: within the noise, bench/search-analysis.md), or if that is
// refused raises its nice value by `nice` (setpriority on its thread id: Linux
// nice is per thread); `nice` 0 keeps the normal priority. Under a saturating
// send load it lags instead of taking CPU from sends, and catches up afterwards.
//
// Ownership: owns its connection (search.db, parley.db ATTACHed as `p`, read
// only by this code) and its thread. Thread-safety: changed() from the writer
// thread, wait_caught_up() and pause_for_test() from any thread.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "common/result.hpp"
#include "store/records.hpp"
#include "store/sqlite/connection.hpp"

namespace parley::store::sqlite {

struct SearchIndexerOptions {
  std::string db_path;      // parley.db
  std::string search_path;  // <db>-search.db
  int busy_timeout_ms = 5000;
  std::chrono::milliseconds rescan{30000};
  int nice = 10;              // 0: normal priority; else SCHED_IDLE, or nice + this
  int batch_messages = 2000;  // messages per search.db transaction
};

class SearchIndexer {
 public:
  // Creates search.db's schema if needed and starts the thread.
  static Result<std::unique_ptr<SearchIndexer>> open(const SearchIndexerOptions& options);
  SearchIndexer(const SearchIndexer&) = delete;
  SearchIndexer& operator=(const SearchIndexer&) = delete;
  ~SearchIndexer();  // stop()

  // Finishes the batch in progress, joins the thread, closes the connection. Idempotent.
  void stop();

  // After a commit (or a failed transaction: harmless) that changed `conversations`.
  void changed(const std::vector<Id>& conversations);

  // Waits up to `bound` until every commit reported by changed() before this
  // call is indexed. false: timed out (or stopped).
  bool wait_caught_up(std::chrono::milliseconds bound);

  // Tests: while paused, nothing is indexed (simulates a lagging indexer).
  void pause_for_test(bool paused);

 private:
  SearchIndexer(SearchIndexerOptions options, std::unique_ptr<Connection> db);
  void run();
  // Brings `conversations` (or, with `scan`, every lagging one) up to date.
  Status catch_up(std::vector<Id> conversations, bool scan);
  // One search.db transaction over the front of `todo`; removes the finished ones.
  Status index_batch(std::vector<Id>& todo);

  const SearchIndexerOptions options_;
  std::unique_ptr<Connection> db_;  // the indexer thread only
  // The highest message id in the index (indexer thread only). Message ids
  // only grow and rows are never removed (deletions are soft), so a message
  // above it has no entry yet: no DELETE to look for one (most messages).
  Id max_indexed_ = 0;

  std::mutex mu_;
  std::condition_variable work_;    // pending_, scan_, stopping_, paused_
  std::condition_variable caught_;  // indexed_gen_
  std::unordered_set<Id> pending_;  // GUARDED_BY(mu_)
  std::uint64_t committed_gen_ = 0; // GUARDED_BY(mu_): commits reported
  std::uint64_t indexed_gen_ = 0;   // GUARDED_BY(mu_): commits indexed
  bool scan_ = true;                // GUARDED_BY(mu_)
  bool stopping_ = false;           // GUARDED_BY(mu_)
  bool paused_ = false;             // GUARDED_BY(mu_)
  std::mutex stop_mu_;
  std::thread thread_;  // last: starts after everything above is built
};

}  // namespace parley::store::sqlite
