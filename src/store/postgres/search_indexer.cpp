#include "store/postgres/search_indexer.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "store/postgres/pg_rows.hpp"

namespace parley::store::postgres {

namespace {

using Clock = std::chrono::steady_clock;

// One statement, so one snapshot and one implicit transaction (the header
// says why that is enough). `todo` is read once (a CTE used twice is
// materialized); entries and progress are written in id order, so that two
// indexers writing overlapping sets do not deadlock.
const Statement index_sql{
    "search_index_conversations",
    "WITH w AS (SELECT w.c, c.last_change_seq AS last, coalesce(p.change_seq, 0) AS done"
    "  FROM unnest($1::bigint[]) AS w(c) JOIN conversations c ON c.id = w.c"
    "  LEFT JOIN search_progress p ON p.conversation_id = w.c),"
    " todo AS (SELECT m.id, m.conversation_id, m.change_seq, m.deleted_at IS NULL AS live, m.body FROM w"
    "  CROSS JOIN LATERAL (SELECT id, conversation_id, change_seq, deleted_at, body FROM messages m"
    "   WHERE m.conversation_id = w.c AND m.change_seq > w.done ORDER BY m.change_seq LIMIT $2) m),"
    " fresh AS (INSERT INTO message_search AS s (message_id, conversation_id, change_seq, tsv)"
    "  SELECT id, conversation_id, change_seq, CASE WHEN live THEN to_tsvector('parley_search', body) END"
    "  FROM todo ORDER BY id"
    "  ON CONFLICT (message_id) DO UPDATE SET change_seq = excluded.change_seq, tsv = excluded.tsv"
    "  WHERE s.change_seq < excluded.change_seq),"
    " counts AS (SELECT conversation_id, count(*) AS n, max(change_seq) AS top FROM todo GROUP BY conversation_id),"
    " moved AS (INSERT INTO search_progress AS p (conversation_id, change_seq)"
    "  SELECT w.c, CASE WHEN coalesce(k.n, 0) < $2 THEN w.last ELSE k.top END"
    "  FROM w LEFT JOIN counts k ON k.conversation_id = w.c WHERE w.last > w.done ORDER BY w.c"
    "  ON CONFLICT (conversation_id) DO UPDATE SET change_seq = greatest(p.change_seq, excluded.change_seq))"
    " SELECT conversation_id FROM counts WHERE n >= $2"};

const Statement behind_sql{
    "search_conversations_behind",
    "SELECT c.id FROM conversations c LEFT JOIN search_progress p ON p.conversation_id = c.id"
    " WHERE c.last_change_seq > coalesce(p.change_seq, 0)"};

std::vector<Id> ids_of(const PgResult& r) {
  std::vector<Id> out;
  out.reserve(static_cast<std::size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) out.push_back(r.i64(i, 0));
  return out;
}

}  // namespace

Result<std::vector<Id>> index_conversations(Connection& db, const std::vector<Id>& conversations,
                                            int per_conversation) {
  if (conversations.empty()) return std::vector<Id>{};
  auto r = db.run(index_sql, Params{}.add(int_array(conversations)).add(std::int64_t{std::max(1, per_conversation)}));
  if (!r) return r.error();
  return ids_of(*r);
}

Result<std::vector<Id>> conversations_behind(Connection& db) {
  auto r = db.run(behind_sql, Params{});
  if (!r) return r.error();
  return ids_of(*r);
}

SearchIndexer::SearchIndexer(SearchIndexerOptions options) : options_(std::move(options)) {
  thread_ = std::thread([this] { run(); });
}

SearchIndexer::~SearchIndexer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void SearchIndexer::changed(Id conversation) {
  {
    std::lock_guard lock(mu_);
    pending_.insert(conversation);
  }
  wake_.notify_one();
}

void SearchIndexer::changed(const std::vector<Id>& conversations) {
  if (conversations.empty()) return;
  {
    std::lock_guard lock(mu_);
    pending_.insert(conversations.begin(), conversations.end());
  }
  wake_.notify_one();
}

bool SearchIndexer::pause(Clock::duration d) {
  std::unique_lock lock(mu_);
  wake_.wait_for(lock, d, [&] { return stopping_ || !pending_.empty(); });
  return !stopping_;
}

void SearchIndexer::run() {
  std::unique_ptr<Connection> db;
  std::chrono::milliseconds backoff{0};
  bool reported = false;  // a failure is logged once until the next success
  const double duty = std::clamp(options_.duty, 0.01, 1.0);
  const std::size_t per_statement = static_cast<std::size_t>(std::max(1, options_.conversations_per_statement));
  std::uint64_t last_writes = options_.write_count ? options_.write_count() : 0;
  auto next_scan = Clock::now();  // a scan first: what was left behind before this start
  std::vector<Id> work;           // taken from pending_, not yet done
  auto caught_up_at = Clock::now();  // when `work` was last empty after a statement

  // A failure: back off, keep the work, and tell once.
  auto failed = [&](const Error& e) {
    if (!reported) spdlog::warn("search indexer: {} (retrying)", e.message);
    reported = true;
    backoff = std::clamp(backoff * 2, std::chrono::milliseconds{50}, options_.max_backoff);
    if (db && db->broken()) db.reset();
    return pause(backoff);
  };

  for (;;) {
    {
      std::unique_lock lock(mu_);
      if (work.empty() && pending_.empty()) {
        wake_.wait_until(lock, next_scan, [&] { return stopping_ || !pending_.empty(); });
      }
      if (stopping_) return;
      work.insert(work.end(), pending_.begin(), pending_.end());
      pending_.clear();
    }
    if (!db) {
      auto fresh = Connection::connect(options_.conninfo, options_.connect_timeout_s);
      if (!fresh) {
        if (!failed(fresh.error())) return;
        continue;
      }
      db = std::move(*fresh);
    }
    if (Clock::now() >= next_scan) {
      auto behind = conversations_behind(*db);
      if (!behind) {
        if (!failed(behind.error())) return;
        continue;
      }
      work.insert(work.end(), behind->begin(), behind->end());
      next_scan = Clock::now() + options_.rescan;
    }
    std::sort(work.begin(), work.end());
    work.erase(std::unique(work.begin(), work.end()), work.end());
    if (work.empty()) continue;

    const auto started = Clock::now();
    const std::size_t n = std::min(work.size(), per_statement);
    std::vector<Id> chunk(work.begin(), work.begin() + static_cast<std::ptrdiff_t>(n));
    // A statement's share of messages is bounded whatever the number of
    // conversations, so that pacing acts at a fine grain (a statement of
    // 64 × 1,000 messages ran for seconds, all of them during the sends).
    const int share = std::max(options_.min_per_conversation,
                               options_.per_statement / static_cast<int>(std::max<std::size_t>(1, chunk.size())));
    auto more = index_conversations(*db, chunk, share);
    if (!more) {
      if (!failed(more.error())) return;
      continue;
    }
    if (reported) spdlog::info("search indexer: indexing again");
    reported = false;
    backoff = std::chrono::milliseconds{0};
    work.erase(work.begin(), work.begin() + static_cast<std::ptrdiff_t>(n));
    work.insert(work.end(), more->begin(), more->end());

    const auto now = Clock::now();
    if (work.empty()) caught_up_at = now;
    const std::uint64_t writes = options_.write_count ? options_.write_count() : 0;
    const bool sending = writes != last_writes;
    last_writes = writes;
    if (sending) {
      // Sends go on: pace the indexing (the header says why), less once it
      // has been behind for longer than max_lag.
      const double share = now - caught_up_at > options_.max_lag ? std::max(duty, 0.5) : duty;
      std::unique_lock lock(mu_);
      wake_.wait_for(lock, std::chrono::duration_cast<Clock::duration>((now - started) * ((1.0 - share) / share)),
                     [&] { return stopping_; });
      if (stopping_) return;
    }
  }
}

}  // namespace parley::store::postgres
