#pragma once
// A node id (the 10 node bits of every id, common/ids.hpp) leased from PostgreSQL,
// so that nodes sharing one database never issue the same id without anyone
// configuring them (docs/deploy-cluster.md, "Node identity").
//
// The table parley_node_leases (migration 2) has one row per id ever taken:
// holder (a random token of this process), holder_info (host, pid, listen
// address: for messages), expires_at (the DATABASE clock, so node clocks do not
// matter), used_ms (the latest id millisecond the holder reported) and released.
//
//  - acquire(): under a transaction-scoped advisory lock (acquirers serialize),
//    takes the configured id if no live lease holds it (else an error naming the
//    holder), or the lowest id without a live lease. It returns the millisecond
//    the new holder's ids must start after: the previous holder's used_ms, plus
//    the TTL unless that holder released the id cleanly (it may have issued ids
//    up to its give-up point, with its own clock).
//  - start(): a thread renews every `renew_every` (expires_at = now() + ttl,
//    used_ms reported; after a failed renewal, every 500 ms until one succeeds).
//    `on_lost` is called once if a renewal finds the row taken by another
//    holder; the owner must then stop issuing ids (parley serve exits). A
//    renewal that finds its own expired row untaken simply renews it: nobody
//    else can have used the id meanwhile. So a database outage longer than the
//    lease costs nothing but a logged error (a watchdog thread logs the lapse,
//    measured from when the last successful renewal was SENT, and the
//    recovery): while the database is away no write can store an id, and once
//    it answers the next renewal settles whether the id is still this node's.
//  - release() / the destructor: stops the threads and marks the row expired and
//    released, with the exact last used millisecond.
//
// Every call is bounded: connect_timeout_s, the connection's tcp_user_timeout
// and a statement_timeout of `statement_timeout`.
//
// Thread-safety: acquire, start and release from one thread (start-up and
// shutdown); node_id()/floor_unix_ms() from any; on_lost and used_ms are
// called on the lease's own threads.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/result.hpp"

namespace parley::store::postgres {

struct NodeLeaseOptions {
  std::string conninfo;
  int connect_timeout_s = 5;
  std::optional<int> node_id;  // a configured --node-id; nullopt: the lowest free one
  std::string holder_info;     // shown to an operator whose configured id is taken
  std::chrono::milliseconds ttl{30'000};
  std::chrono::milliseconds renew_every{5'000};
  std::chrono::milliseconds statement_timeout{5'000};
};

class NodeLease {
 public:
  // Connects, leases an id. Errors: unavailable (database away), conflict
  // "node_id_taken" (the configured id is held by a live node; the message says
  // by whom and what to do), bad_request for options out of range.
  static Result<std::unique_ptr<NodeLease>> acquire(NodeLeaseOptions options);

  ~NodeLease();
  NodeLease(const NodeLease&) = delete;
  NodeLease& operator=(const NodeLease&) = delete;

  int node_id() const { return node_id_; }
  // Ids must carry a later millisecond (Unix time) than this.
  std::int64_t floor_unix_ms() const { return floor_unix_ms_; }

  // Starts renewing. `used_ms` (the generator's latest id millisecond) is read
  // at each renewal; `on_lost(reason)` is called at most once.
  void start(std::function<std::int64_t()> used_ms, std::function<void(const std::string&)> on_lost);

  // One renewal now, on the caller's thread (tests; REQUIRES: not started).
  // conflict "node_lease_lost" if another holder has the row.
  Status renew_once(std::int64_t used_ms);

  // Stops renewing and gives the id back. Idempotent.
  void release(std::int64_t used_ms);

 private:
  struct Impl;
  explicit NodeLease(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
  int node_id_ = 0;
  std::int64_t floor_unix_ms_ = 0;
};

}  // namespace parley::store::postgres
