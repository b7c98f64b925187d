#pragma once
// SearchIndexer: keeps message_search (the full-text index, search_queries.hpp)
// off the write path, like SQLite's indexer (sqlite/search_indexer.hpp). A
// write computes no tsvector and touches no GIN index: in the send's
// transaction that halved persisted sends, and even one queue row per message
// cost 16% (bench/search-analysis.md). Instead this thread follows each
// conversation's change sequence (docs/features.md): search_progress holds, per
// conversation, the change_seq up to which every change is in message_search.
// To catch conversations up it runs one statement for many of them:
//
//   read the messages whose change_seq is past the progress (the
//   messages_by_change index; at most a share of `per_statement` each, oldest
//   first),
//   upsert each one's entry from the row as it is (to_tsvector of the body,
//   NULL when deleted) where the entry's change_seq is older,
//   move the progress: to the conversation's last_change_seq read in the same
//   snapshot when all of it was read, else to the newest change read.
//
// change_seq is taken under the conversation row's lock and committed with it,
// so a snapshot that sees last_change_seq = K sees every change up to K. Two
// indexers (two nodes) that catch up one conversation at once write the same
// entries; the change_seq guard makes the later state win whichever commits
// first, and progress only moves forward (greatest).
//
// Work: changed() from the store after each of its writes commits (sends,
// edits, deletions, reactions: each node indexes its own writes at once); a
// scan for conversations whose last_change_seq is past their progress at start
// and every `rescan` (what a crashed node left, or another node's writes when
// it is down). A search waiting for its conversations (the store's barrier)
// calls changed() for those behind, so this node takes them at once.
//
// Pacing: while this node's sends go on (`write_count` moved during a
// statement), the thread waits after each statement so that it works at most
// `duty` of the time: under a saturating load the database's time goes to the
// sends and the index lags instead; when the sends stop it catches up at full
// speed. Behind for longer than `max_lag` (a load that never stops), it takes
// half the time, so the lag stays bounded. (Sends with the index on, as a share
// of off, on the benchmark machine: 0.49 with the index written in the send's
// transaction, 0.84 with only a queue row per message written there,
// bench/search-analysis.md.)
//
// Ownership: owns its connection (opened on the thread, reopened with backoff
// after a failure) and its thread. Thread-safety: changed() from any thread
// (a set under a mutex held only to insert or swap: a writer never waits for
// indexing); destroy from a thread other than its own (the destructor joins it).

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "common/result.hpp"
#include "store/postgres/pg_connection.hpp"
#include "store/records.hpp"

namespace parley::store::postgres {

struct SearchIndexerOptions {
  std::string conninfo;
  int connect_timeout_s = 3;
  int conversations_per_statement = 200;
  int per_statement = 2000;                     // messages per statement, shared by its conversations
  int min_per_conversation = 10;                // ... but at least this many each
  double duty = 0.1;                            // share of the time spent indexing while sends go on
  std::chrono::milliseconds max_lag{30000};     // behind longer than this while sending: half the time
  std::function<std::uint64_t()> write_count;   // this node's committed sends so far (any thread)
  std::chrono::milliseconds rescan{30000};
  std::chrono::milliseconds max_backoff{2000};  // between reconnects
};

// One statement on `db`: catches `conversations` up by at most
// `per_conversation` changes each. Returns those that have more to do.
Result<std::vector<Id>> index_conversations(Connection& db, const std::vector<Id>& conversations,
                                            int per_conversation);
// The conversations whose last_change_seq is past their progress.
Result<std::vector<Id>> conversations_behind(Connection& db);

class SearchIndexer {
 public:
  explicit SearchIndexer(SearchIndexerOptions options);
  ~SearchIndexer();
  SearchIndexer(const SearchIndexer&) = delete;
  SearchIndexer& operator=(const SearchIndexer&) = delete;

  // These conversations changed (or a search waits for them): catch them up.
  void changed(Id conversation);
  void changed(const std::vector<Id>& conversations);

 private:
  void run();
  // Waits up to `d`, or less when work arrives or on stop. False: stopping.
  bool pause(std::chrono::steady_clock::duration d);

  const SearchIndexerOptions options_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::unordered_set<Id> pending_;
  std::thread thread_;
};

}  // namespace parley::store::postgres
