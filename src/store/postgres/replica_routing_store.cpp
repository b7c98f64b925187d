#include "store/postgres/replica_routing_store.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "store/postgres/conversation_queries.hpp"
#include "store/postgres/message_queries.hpp"

namespace parley::store {

std::unique_ptr<Store> open_replica_routing_store(std::unique_ptr<Store> primary,
                                                  const ReplicaRoutingOptions& options) {
  spdlog::info("postgres: history and list reads may go to the replica {}",
               postgres::describe_target(options.replica_url));
  return std::make_unique<postgres::ReplicaRoutingStore>(std::move(primary), options);
}

}  // namespace parley::store

namespace parley::store::postgres {

namespace {

// The primary's WAL position that covers every commit acknowledged so far
// (a commit is acknowledged after its record is flushed).
const Statement flush_lsn_sql{"replica_routing_flush_lsn", "SELECT pg_current_wal_flush_lsn()::text"};
// Whether this standby has replayed up to $1. NULL (not a standby) is false.
const Statement replayed_sql{"replica_routing_replayed",
                             "SELECT coalesce(pg_last_wal_replay_lsn() >= $1::pg_lsn, false)"};

}  // namespace

ReplicaRoutingStore::ReplicaRoutingStore(std::unique_ptr<Store> primary, const ReplicaRoutingOptions& options)
    : primary_(std::move(primary)),
      options_(options),
      replica_(std::make_unique<ConnectionPool>(options.replica_url, options.pool_size, options.acquire_timeout_ms,
                                                options.connect_timeout_s, nullptr)),
      primary_positions_(std::make_unique<ConnectionPool>(options.primary_url, 2, 2000, options.connect_timeout_s,
                                                          nullptr)) {}

ReplicaRoutingStore::~ReplicaRoutingStore() {
  replica_.reset();
  primary_positions_.reset();
  primary_.reset();
}

StoreStats ReplicaRoutingStore::stats() const {
  StoreStats s = primary_->stats();
  const ReplicaRoutingStats routing = routing_stats();
  s.replica_reads = routing.replica_reads;
  s.replica_not_fresh = routing.primary_not_fresh;
  s.replica_unavailable = routing.primary_unavailable;
  return s;
}

ReplicaRoutingStats ReplicaRoutingStore::routing_stats() const {
  return {replica_reads_.load(std::memory_order_relaxed), primary_not_fresh_.load(std::memory_order_relaxed),
          primary_unavailable_.load(std::memory_order_relaxed)};
}

void ReplicaRoutingStore::rest() {
  const auto until = Clock::now() + std::chrono::milliseconds(options_.skip_after_failure_ms);
  rest_until_.store(until.time_since_epoch().count(), std::memory_order_relaxed);
}

void ReplicaRoutingStore::healthy() {
  if (rest_until_.load(std::memory_order_relaxed) != 0) rest_until_.store(0, std::memory_order_relaxed);
}

std::optional<ConnectionPool::Lease> ReplicaRoutingStore::replica_lease() {
  std::int64_t until = rest_until_.load(std::memory_order_relaxed);
  if (until != 0) {
    const std::int64_t now = Clock::now().time_since_epoch().count();
    // Resting; once the period is over, one caller claims the next try
    // (moving the end of the rest on) and the others keep to the primary.
    const std::int64_t next =
        (Clock::now() + std::chrono::milliseconds(options_.skip_after_failure_ms)).time_since_epoch().count();
    if (now < until || !rest_until_.compare_exchange_strong(until, next, std::memory_order_relaxed)) {
      primary_unavailable_.fetch_add(1, std::memory_order_relaxed);
      return std::nullopt;
    }
  }
  auto lease = replica_->acquire();
  if (!lease) {
    // All busy is no fault of the replica's; a failed connect is.
    if (lease.error().message.find("busy") == std::string::npos) rest();
    primary_unavailable_.fetch_add(1, std::memory_order_relaxed);
    return std::nullopt;
  }
  return std::optional<ConnectionPool::Lease>(std::move(*lease));
}

template <class Fn>
auto ReplicaRoutingStore::on_replica(ConnectionPool::Lease& lease, Fn fn)
    -> decltype(fn(std::declval<Connection&>())) {
  auto guard = watchdog_.arm(*lease, std::chrono::milliseconds(options_.query_timeout_ms));
  auto out = fn(*lease);
  if (!out.ok()) {
    if (guard.fired()) spdlog::warn("postgres replica: no answer within {} ms; reading from the primary",
                                    options_.query_timeout_ms);
    rest();
    primary_unavailable_.fetch_add(1, std::memory_order_relaxed);
  }
  return out;
}

Result<std::vector<MessageRow>> ReplicaRoutingStore::messages(Id conversation, std::optional<Seq> before,
                                                              std::optional<Seq> after, int limit) {
  auto from_primary = [&] { return primary_->messages(conversation, before, after, limit); };
  if (limit <= 0) return from_primary();
  auto lease = replica_lease();
  if (!lease) return from_primary();
  // The replica's position first, the primary's after: see the header.
  auto replica_row = on_replica(*lease, [&](Connection& db) { return postgres::conversation_by_id(db, conversation); });
  if (!replica_row) return from_primary();
  healthy();
  if (!replica_row->has_value()) {  // not replayed yet (or no such conversation)
    primary_not_fresh_.fetch_add(1, std::memory_order_relaxed);
    return from_primary();
  }
  const Seq replayed = (*replica_row)->last_seq;
  // A page wholly below what the replica holds (scrolling back)...
  bool fresh = before && replayed >= *before - 1;
  if (!fresh) {
    // ... else every change the primary has committed: its change sequence
    // moves with each send, edit, reaction and deletion, so such a page shows
    // them all (and every message up to the primary's last_seq).
    auto primary_row = primary_->conversation_by_id(conversation);
    if (!primary_row) return primary_row.error();
    if (!primary_row->has_value()) return from_primary();
    fresh = (*replica_row)->last_change_seq >= (*primary_row)->last_change_seq;
  }
  if (!fresh) {
    primary_not_fresh_.fetch_add(1, std::memory_order_relaxed);
    return from_primary();
  }
  auto page = on_replica(*lease, [&](Connection& db) {
    return postgres::messages(db, conversation, before, after, limit);
  });
  if (!page) return from_primary();
  replica_reads_.fetch_add(1, std::memory_order_relaxed);
  return page;
}

Result<std::vector<ConversationSummary>> ReplicaRoutingStore::conversations_of(Id user,
                                                                               std::optional<ActivityCursor> cursor,
                                                                               int limit) {
  auto from_primary = [&] { return primary_->conversations_of(user, cursor, limit); };
  auto lease = replica_lease();
  if (!lease) return from_primary();
  std::string position;
  {
    auto primary = primary_positions_->acquire();
    if (!primary) return from_primary();
    auto r = (*primary)->run(flush_lsn_sql, Params{});
    if (!r) return from_primary();
    position = r->text(0, 0);
  }
  auto replayed = on_replica(*lease, [&](Connection& db) -> Result<bool> {
    auto r = db.run(replayed_sql, Params{}.add(position));
    if (!r) return r.error();
    return r->boolean(0, 0);
  });
  if (!replayed) return from_primary();
  healthy();
  if (!*replayed) {
    primary_not_fresh_.fetch_add(1, std::memory_order_relaxed);
    return from_primary();
  }
  auto list = on_replica(*lease, [&](Connection& db) { return postgres::conversations_of(db, user, cursor, limit); });
  if (!list) return from_primary();
  replica_reads_.fetch_add(1, std::memory_order_relaxed);
  return list;
}

}  // namespace parley::store::postgres
