#include "store/sqlite/search_indexer.hpp"

#include <spdlog/spdlog.h>
#include <sqlite3.h>
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <unordered_map>

namespace parley::store::sqlite {

namespace {

// The index: content stored in the FTS5 table (external content cannot point
// into another file), rowid = message id. `indexed`: see the header.
constexpr const char* schema_sql = R"sql(
CREATE VIRTUAL TABLE IF NOT EXISTS message_search USING fts5(
  body, conversation_id UNINDEXED, tokenize = 'unicode61 remove_diacritics 2');
CREATE TABLE IF NOT EXISTS indexed (
  conversation_id  INTEGER PRIMARY KEY,
  change_seq       INTEGER NOT NULL
) STRICT;
)sql";

// SCHED_IDLE (Linux: runs only when a CPU has nothing else to run), else
// nice + `nice`. Both apply to this thread only.
void lower_priority(int nice) {
  if (nice <= 0) return;
  sched_param param{};
  if (::pthread_setschedparam(::pthread_self(), SCHED_IDLE, &param) == 0) return;
  const auto tid = static_cast<id_t>(::syscall(SYS_gettid));
  errno = 0;
  const int current = ::getpriority(PRIO_PROCESS, tid);
  if (errno != 0) return;
  if (::setpriority(PRIO_PROCESS, tid, std::min(19, current + nice)) != 0) {
    spdlog::warn("sqlite: search indexer: setpriority failed: {}", std::strerror(errno));
  }
}

}  // namespace

Result<std::unique_ptr<SearchIndexer>> SearchIndexer::open(const SearchIndexerOptions& options) {
  auto db = Connection::open(options.search_path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (!db) return db.error();
  Connection& c = **db;
  sqlite3_busy_timeout(c.handle(), options.busy_timeout_ms);
  const std::string context = options.search_path + ": search index";
  {
    Stmt wal = c.prepare("PRAGMA journal_mode = WAL");
    if (wal.step() != SQLITE_ROW) return wal.error(context + ": WAL");
  }
  if (Status s = c.exec_status("PRAGMA synchronous = NORMAL", context); !s) return s.error();
  if (Status s = c.exec_status(schema_sql, context); !s) return s.error();
  {
    Stmt attach = c.prepare("ATTACH DATABASE ?1 AS p");
    attach.bind(1, options.db_path);
    if (!attach.run()) return attach.error(context + ": attaching " + options.db_path);
  }
  return std::unique_ptr<SearchIndexer>(new SearchIndexer(options, std::move(db).value()));
}

SearchIndexer::SearchIndexer(SearchIndexerOptions options, std::unique_ptr<Connection> db)
    : options_(std::move(options)), db_(std::move(db)) {
  committed_gen_ = 1;  // the scan at start: a search waits for it (bounded)
  thread_ = std::thread([this] { run(); });
}

SearchIndexer::~SearchIndexer() { stop(); }

void SearchIndexer::stop() {
  std::lock_guard stop_lock(stop_mu_);
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  work_.notify_all();
  caught_.notify_all();
  if (thread_.joinable()) thread_.join();
  db_.reset();
}

void SearchIndexer::changed(const std::vector<Id>& conversations) {
  if (conversations.empty()) return;  // nothing to index, nothing to wait for
  {
    std::lock_guard lock(mu_);
    pending_.insert(conversations.begin(), conversations.end());
    ++committed_gen_;
  }
  work_.notify_one();
}

bool SearchIndexer::wait_caught_up(std::chrono::milliseconds bound) {
  std::unique_lock lock(mu_);
  const std::uint64_t target = committed_gen_;
  return caught_.wait_for(lock, bound, [&] { return stopping_ || indexed_gen_ >= target; }) && !stopping_;
}

void SearchIndexer::pause_for_test(bool paused) {
  {
    std::lock_guard lock(mu_);
    paused_ = paused;
  }
  work_.notify_all();
}

void SearchIndexer::run() {
  pthread_setname_np(pthread_self(), "sqlite-index");
  lower_priority(options_.nice);
  auto next_scan = std::chrono::steady_clock::now() + options_.rescan;
  while (true) {
    std::vector<Id> todo;
    bool scan = false;
    std::uint64_t gen = 0;
    {
      std::unique_lock lock(mu_);
      work_.wait_until(lock, next_scan, [&] { return stopping_ || (!paused_ && (scan_ || !pending_.empty())); });
      if (stopping_) return;
      if (paused_) {
        next_scan = std::chrono::steady_clock::now() + options_.rescan;  // no busy loop while paused
        continue;
      }
      if (std::chrono::steady_clock::now() >= next_scan) scan_ = true;
      if (!scan_ && pending_.empty()) continue;
      scan = scan_;
      scan_ = false;
      todo.assign(pending_.begin(), pending_.end());
      pending_.clear();
      gen = committed_gen_;
    }
    if (scan) next_scan = std::chrono::steady_clock::now() + options_.rescan;
    const auto started = std::chrono::steady_clock::now();
    Status s = catch_up(todo, scan);
    if (!s) {
      // Redo it all at the next scan (a crash-safe restart point: indexed).
      spdlog::error("sqlite: search indexer: {}", s.error().message);
      std::unique_lock lock(mu_);
      scan_ = true;
      work_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_; });
      continue;
    }
    if (scan) {
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      if (seconds >= 1.0) spdlog::info("sqlite: search indexer: caught up in {:.1f} s", seconds);
    }
    {
      std::lock_guard lock(mu_);
      indexed_gen_ = std::max(indexed_gen_, gen);
    }
    caught_.notify_all();
  }
}

Status SearchIndexer::catch_up(std::vector<Id> todo, bool scan) {
  Connection& db = *db_;
  if (scan) {
    auto top = db.query_int("SELECT coalesce(max(rowid), 0) FROM main.message_search");
    if (!top) return top.error();
    max_indexed_ = *top;
    Stmt st = db.prepare(
        "SELECT c.id FROM p.conversations c LEFT JOIN main.indexed i ON i.conversation_id = c.id"
        " WHERE c.last_change_seq > coalesce(i.change_seq, 0)");
    std::unordered_set<Id> all(todo.begin(), todo.end());
    while (st.step() == SQLITE_ROW) all.insert(st.i64(0));
    if (st.rc() != SQLITE_DONE) return st.error("search indexer: scan");
    todo.assign(all.begin(), all.end());
    if (todo.size() > 100) spdlog::info("sqlite: search indexer: {} conversations to catch up", todo.size());
  }
  std::sort(todo.begin(), todo.end());
  while (!todo.empty()) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return Status::success();
    }
    if (Status s = index_batch(todo); !s) {
      if (db.in_transaction()) db.exec("ROLLBACK");
      return s;
    }
  }
  return Status::success();
}

Status SearchIndexer::index_batch(std::vector<Id>& todo) {
  Connection& db = *db_;
  // Deferred: reading p takes only a read snapshot of parley.db; the first
  // write takes search.db's write lock (BEGIN IMMEDIATE would lock both).
  if (Status s = db.exec_status("BEGIN", "search indexer"); !s) return s;
  int budget = options_.batch_messages;
  Id max_indexed = max_indexed_;  // kept only if the transaction commits
  std::vector<Id> unfinished;
  std::size_t i = 0;
  for (; i < todo.size() && budget > 0; ++i) {
    const Id conversation = todo[i];
    Seq from = 0;
    {
      Stmt st = db.prepare("SELECT change_seq FROM main.indexed WHERE conversation_id = ?1");
      st.bind(1, conversation);
      if (st.step() == SQLITE_ROW) from = st.i64(0);
      if (st.rc() != SQLITE_ROW && st.rc() != SQLITE_DONE) return st.error("search indexer: indexed");
    }
    Seq last = 0;
    {
      Stmt st = db.prepare("SELECT last_change_seq FROM p.conversations WHERE id = ?1");
      st.bind(1, conversation);
      if (st.step() == SQLITE_ROW) last = st.i64(0);
      if (st.rc() != SQLITE_ROW && st.rc() != SQLITE_DONE) return st.error("search indexer: conversation");
    }
    if (last <= from) continue;
    Seq reached = from;
    int rows = 0;
    {
      Stmt st = db.prepare(
          "SELECT id, body, deleted_at IS NOT NULL, change_seq FROM p.messages"
          " WHERE conversation_id = ?1 AND change_seq > ?2 AND change_seq <= ?3 ORDER BY change_seq LIMIT ?4");
      st.bind(1, conversation).bind(2, from).bind(3, last).bind(4, std::int64_t{budget});
      while (st.step() == SQLITE_ROW) {
        const Id id = st.i64(0);
        if (id <= max_indexed) {
          Stmt del = db.prepare("DELETE FROM main.message_search WHERE rowid = ?1");
          del.bind(1, id);
          if (!del.run()) return del.error("search indexer: delete");
        }
        if (st.i64(2) == 0) {
          Stmt ins = db.prepare("INSERT INTO main.message_search (rowid, body, conversation_id) VALUES (?1, ?2, ?3)");
          ins.bind(1, id).bind(2, st.text(1)).bind(3, conversation);
          if (!ins.run()) return ins.error("search indexer: insert");
          max_indexed = std::max(max_indexed, id);
        }
        reached = st.i64(3);
        ++rows;
      }
      if (st.rc() != SQLITE_DONE) return st.error("search indexer: messages");
    }
    budget -= rows;
    // All read: up to last_change_seq (change_seqs without a message row, if
    // any, are passed too). Cut by the budget: up to the last one read.
    if (budget > 0) {
      reached = last;
    } else {
      unfinished.push_back(conversation);
    }
    Stmt up = db.prepare("INSERT INTO main.indexed (conversation_id, change_seq) VALUES (?1, ?2)"
                         " ON CONFLICT (conversation_id) DO UPDATE SET change_seq = excluded.change_seq");
    up.bind(1, conversation).bind(2, reached);
    if (!up.run()) return up.error("search indexer: progress");
  }
  if (Status s = db.exec_status("COMMIT", "search indexer"); !s) return s;
  max_indexed_ = max_indexed;
  unfinished.insert(unfinished.end(), todo.begin() + static_cast<std::ptrdiff_t>(i), todo.end());
  todo = std::move(unfinished);
  return Status::success();
}

}  // namespace parley::store::sqlite
