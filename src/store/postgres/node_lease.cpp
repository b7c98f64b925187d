#include "store/postgres/node_lease.hpp"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <random>
#include <thread>

#include "store/postgres/pg_connection.hpp"

namespace parley::store::postgres {

namespace {

using SteadyClock = std::chrono::steady_clock;

// Distinct from the migration lock: acquirers serialize among themselves only.
constexpr const char* lock_sql = "SELECT pg_advisory_xact_lock(1885434477)";

const Statement find_row{"parley_lease_find",
                         "SELECT holder_info, expires_at > now(), used_ms, released,"
                         " to_char(expires_at, 'YYYY-MM-DD HH24:MI:SS TZ')"
                         " FROM parley_node_leases WHERE node_id = $1"};
const Statement lowest_free{"parley_lease_lowest_free",
                            "SELECT n FROM generate_series(0, 1023) AS n WHERE NOT EXISTS ("
                            "SELECT 1 FROM parley_node_leases l WHERE l.node_id = n AND l.expires_at > now())"
                            " ORDER BY n LIMIT 1"};
const Statement take{"parley_lease_take",
                     "INSERT INTO parley_node_leases (node_id, holder, holder_info, expires_at, used_ms, released)"
                     " VALUES ($1, $2, $3, now() + $4 * interval '1 millisecond', $5, false)"
                     " ON CONFLICT (node_id) DO UPDATE SET holder = excluded.holder,"
                     " holder_info = excluded.holder_info, expires_at = excluded.expires_at,"
                     " used_ms = excluded.used_ms, released = false"};
// Also renews an expired row that nobody took: the id was unused meanwhile.
const Statement renew{"parley_lease_renew",
                      "UPDATE parley_node_leases SET expires_at = now() + $3 * interval '1 millisecond',"
                      " used_ms = greatest(used_ms, $4) WHERE node_id = $1 AND holder = $2"};
const Statement give_back{"parley_lease_release",
                          "UPDATE parley_node_leases SET expires_at = now(), released = true,"
                          " used_ms = greatest(used_ms, $3) WHERE node_id = $1 AND holder = $2"};

std::string random_token() {
  std::random_device device;
  char out[33];
  for (int i = 0; i < 4; ++i) std::snprintf(out + 8 * i, 9, "%08x", static_cast<unsigned>(device()));
  return std::string(out, 32);
}

Result<std::unique_ptr<Connection>> connect(const NodeLeaseOptions& options) {
  auto conn = Connection::connect(options.conninfo, options.connect_timeout_s);
  if (!conn) return conn.error();
  const std::string set = "SET statement_timeout = " + std::to_string(options.statement_timeout.count());
  if (auto r = (*conn)->exec(set.c_str()); !r) return r.error();
  return conn;
}

struct Taken {
  int node_id = 0;
  std::int64_t floor_unix_ms = 0;
};

Result<Taken> take_locked(Connection& db, const NodeLeaseOptions& options, const std::string& holder) {
  if (auto r = db.exec(lock_sql); !r) return r.error();
  int node_id = 0;
  if (options.node_id) {
    node_id = *options.node_id;
  } else {
    auto free = db.run(lowest_free, Params{});
    if (!free) return free.error();
    if (free->rows() == 0)
      return Error{ErrorKind::unavailable, "no_free_node_id",
                   "all 1024 node ids are leased by live nodes; stop one, or wait for a dead node's lease to expire"};
    node_id = static_cast<int>(free->i64(0, 0));
  }
  auto row = db.run(find_row, Params{}.add(std::int64_t{node_id}));
  if (!row) return row.error();
  std::int64_t floor = 0;
  if (row->rows() == 1) {
    if (row->boolean(0, 1)) {
      return Error::conflict("node_id_taken",
                             "--node-id " + std::to_string(node_id) + " is held by a live node (" + row->text(0, 0) +
                                 ", lease until " + row->text(0, 4) +
                                 "); give another --node-id, or none to lease a free one");
    }
    floor = row->i64(0, 2) + (row->boolean(0, 3) ? 0 : options.ttl.count());
  }
  auto taken = db.run(take, Params{}
                                .add(std::int64_t{node_id})
                                .add(holder)
                                .add(options.holder_info)
                                .add(std::int64_t{options.ttl.count()})
                                .add(floor));
  if (!taken) return taken.error();
  return Taken{node_id, floor};
}

}  // namespace

// How soon a failed renewal is tried again.
constexpr std::chrono::milliseconds kRetryAfterFailure{500};

struct NodeLease::Impl {
  NodeLeaseOptions options;
  std::string holder;
  std::unique_ptr<Connection> db;  // renewer thread's once started

  std::mutex mutex;
  std::condition_variable wake;
  bool stopping = false;
  bool lost = false;
  SteadyClock::time_point valid_until;  // GUARDED_BY(mutex)
  std::thread renewer;
  std::thread watchdog;
  std::function<std::int64_t()> used_ms;
  std::function<void(const std::string&)> on_lost;

  Status renew_with(int node_id, std::int64_t used) {
    if (!db || db->broken()) {
      db.reset();
      auto conn = connect(options);
      if (!conn) return conn.error();
      db = std::move(*conn);
    }
    auto r = db->run(renew, Params{}
                                .add(std::int64_t{node_id})
                                .add(holder)
                                .add(std::int64_t{options.ttl.count()})
                                .add(used));
    if (!r) return r.error();
    if (r->affected() != 1)
      return Error::conflict("node_lease_lost", "the lease on node id " + std::to_string(node_id) +
                                                    " was taken by another node after it expired");
    return Status::success();
  }

  void declare_lost(const std::string& reason) {
    {
      std::lock_guard lock(mutex);
      if (lost || stopping) return;
      lost = true;
    }
    wake.notify_all();
    on_lost(reason);
  }

  void run_renewer(int node_id) {
    std::unique_lock lock(mutex);
    bool failing = false;
    while (!stopping) {
      // After a failure, sooner: once the database answers again, a takeover
      // of the id must be noticed within moments (see the watchdog).
      const auto wait = failing ? std::min(options.renew_every, kRetryAfterFailure) : options.renew_every;
      wake.wait_for(lock, wait, [this] { return stopping; });
      if (stopping) break;
      lock.unlock();
      const auto sent = SteadyClock::now();
      const Status s = renew_with(node_id, used_ms());
      lock.lock();
      if (s) {
        failing = false;
        valid_until = std::max(valid_until, sent + options.ttl - options.renew_every);
        wake.notify_all();
        continue;
      }
      failing = true;
      spdlog::warn("node id {}: lease renewal failed: {}", node_id, s.error().message);
      if (s.error().code == "node_lease_lost") {
        lock.unlock();
        declare_lost(s.error().message);
        lock.lock();
      }
    }
  }

  // A lease not renewed for `ttl - renew_every` may expire before the next
  // renewal: said loudly, once per lapse. The node keeps its id meanwhile: a
  // database that is away accepts no write, so ids issued then are never
  // stored, and when it answers again the next renewal either finds the row
  // still this node's (renewed: nobody could take it) or taken (on_lost).
  // Exiting on a lapse instead would stop every node of a cluster during any
  // database outage longer than the lease.
  void run_watchdog(int node_id) {
    std::unique_lock lock(mutex);
    bool lapsed = false;
    while (!stopping && !lost) {
      const auto until = valid_until;
      const bool expired = SteadyClock::now() >= until;
      if (expired && !lapsed) {
        lapsed = true;
        spdlog::error("node id {}: lease not renewed for {} s (is PostgreSQL reachable?); keeping the id and "
                      "renewing; another node can take it only once it expires",
                      node_id, (options.ttl - options.renew_every).count() / 1000);
      } else if (!expired && lapsed) {
        lapsed = false;
        spdlog::info("node id {}: lease renewed again", node_id);
      }
      if (expired) {
        wake.wait(lock, [&] { return stopping || lost || valid_until != until; });
      } else {
        wake.wait_until(lock, until);
      }
    }
  }
};

NodeLease::NodeLease(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<NodeLease>> NodeLease::acquire(NodeLeaseOptions options) {
  if (options.node_id && (*options.node_id < 0 || *options.node_id > 1023))
    return Error::bad_request("invalid_node_id", "a node id is between 0 and 1023");
  if (options.renew_every.count() <= 0 || options.ttl < 2 * options.renew_every)
    return Error::bad_request("invalid_lease", "the lease TTL must be at least twice the renewal interval");
  auto impl = std::make_unique<Impl>();
  impl->holder = random_token();
  auto conn = connect(options);
  if (!conn) return conn.error();
  impl->db = std::move(*conn);
  impl->options = std::move(options);

  const auto sent = SteadyClock::now();
  if (auto r = impl->db->exec("BEGIN"); !r) return r.error();
  auto taken = take_locked(*impl->db, impl->options, impl->holder);
  if (!taken) {
    impl->db->rollback();
    return taken.error();
  }
  if (auto r = impl->db->exec("COMMIT"); !r) return r.error();
  impl->valid_until = sent + impl->options.ttl - impl->options.renew_every;
  std::unique_ptr<NodeLease> lease(new NodeLease(std::move(impl)));
  lease->node_id_ = taken->node_id;
  lease->floor_unix_ms_ = taken->floor_unix_ms;
  return lease;
}

void NodeLease::start(std::function<std::int64_t()> used_ms, std::function<void(const std::string&)> on_lost) {
  impl_->used_ms = std::move(used_ms);
  impl_->on_lost = std::move(on_lost);
  impl_->renewer = std::thread([impl = impl_.get(), id = node_id_] { impl->run_renewer(id); });
  impl_->watchdog = std::thread([impl = impl_.get(), id = node_id_] { impl->run_watchdog(id); });
}

Status NodeLease::renew_once(std::int64_t used_ms) {
  const auto sent = SteadyClock::now();
  Status s = impl_->renew_with(node_id_, used_ms);
  if (s) {
    std::lock_guard lock(impl_->mutex);
    impl_->valid_until = std::max(impl_->valid_until, sent + impl_->options.ttl - impl_->options.renew_every);
  }
  return s;
}

void NodeLease::release(std::int64_t used_ms) {
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->stopping) return;
    impl_->stopping = true;
  }
  impl_->wake.notify_all();
  if (impl_->renewer.joinable()) impl_->renewer.join();
  if (impl_->watchdog.joinable()) impl_->watchdog.join();
  if (!impl_->db || impl_->db->broken()) {
    auto conn = connect(impl_->options);
    if (!conn) {
      spdlog::warn("node id {}: not released ({}); it frees itself when its lease expires", node_id_,
                   conn.error().message);
      return;
    }
    impl_->db = std::move(*conn);
  }
  auto r = impl_->db->run(give_back, Params{}.add(std::int64_t{node_id_}).add(impl_->holder).add(used_ms));
  if (!r) spdlog::warn("node id {}: not released ({}); it frees itself when its lease expires", node_id_, r.error().message);
  impl_->db.reset();
}

NodeLease::~NodeLease() {
  // Without a known last millisecond: the row keeps what the renewals reported
  // and is marked expired but not released, so the next holder adds the TTL.
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->stopping) return;
    impl_->stopping = true;
  }
  impl_->wake.notify_all();
  if (impl_->renewer.joinable()) impl_->renewer.join();
  if (impl_->watchdog.joinable()) impl_->watchdog.join();
}

}  // namespace parley::store::postgres
