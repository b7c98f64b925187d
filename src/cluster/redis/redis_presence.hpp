#pragma once
// RedisPresence: the PresenceService of a cluster node (presence.hpp). A user
// is online while any of their connections on any node is; offline is decided
// once, cluster-wide, a grace period after the last one closed, including
// when the node that held it was killed.
//
// What lives in Redis (keys under the prefix, default "parley:"; the Lua
// scripts in redis_presence.cpp change them atomically):
//   presence:alive:<node>  "1" with a TTL (`node_ttl`), refreshed every
//                          `heartbeat_interval`: the node's liveness
//   presence:nodes         SET of the node ids that registered
//   presence:node:<node>   SET of users with connections on that node
//   presence:conns:<user>  HASH node -> number of the user's connections there
//   presence:online        HASH user -> when they came online (ms): who is online
//   presence:dropping      ZSET user -> when their last connection went (ms)
//   presence:log           STREAM of transitions {s: seq, u: user, o: 1|0, t: ms}
//   presence:seq           the counter behind s (a gap means "read a snapshot")
// Times are Redis's clock (TIME inside the scripts), so the nodes' clocks do
// not matter.
//
// The transitions. SYNC (a node's count for a user changed) makes a user with
// no online entry online (HSETNX: exactly one node wins, and announces it), and
// a user whose last connection anywhere went "dropping". EXPIRE, run by every
// node every `tick`, pops the dropping users whose grace is over and who still
// have no connection, removes them from presence:online and returns them to
// that node alone, which announces the offline. REAP, run by every node every
// heartbeat, drops the connections of nodes whose liveness key expired
// (kill -9): their users go dropping, then offline after the grace, announced
// once by whichever node pops them.
//
// On this node: the node's own connection counts (the truth, synced to Redis
// by a background thread as absolute counts, so re-sending is harmless) and a
// mirror of presence:online kept current by a second thread, on a connection
// of its own, blocked in XREAD on presence:log (so a transition reaches every
// node's mirror within a round trip), or reading a whole snapshot after a gap,
// a reconnect or a Redis restart. state() answers from
// memory: online if the mirror says so or this node holds a connection; the
// lastSeenAt of an offline user is the time of their offline transition, so
// that every node answers the same (touch() stays local).
//
// Failure: the thread uses a blocking hiredis connection with timeouts and
// reconnects with backoff; no method ever waits for it. While Redis is
// unreachable, state() answers from this node's local view (its own
// connections, and the last mirror it read), and nothing is announced (a
// transition cannot be decided once without Redis). When Redis is back the
// node registers again (REGISTER: its old connection set is replaced by its
// current counts), so an empty restarted Redis learns every connection again;
// users who came online meanwhile are announced then, those who left go
// offline after the grace. A node whose liveness key expired (a stall longer
// than `node_ttl`) notices it at its next heartbeat and registers again.
//
// Thread-safety: every PresenceService method from any thread; start(), stop()
// and stop_without_cleanup() from the owner's thread. Ownership: owns its
// two threads and their connections; the destructor calls stop().

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "cluster/presence.hpp"
#include "cluster/redis/redis_bus.hpp"

namespace parley::cluster::redis {

class RedisConnection;

struct RedisPresenceOptions {
  RedisEndpoint endpoint;
  std::string prefix = "parley:";
  std::chrono::milliseconds grace{10'000};  // until expire_offline() says otherwise
  std::chrono::milliseconds heartbeat_interval{1000};
  std::chrono::milliseconds node_ttl{5000};
  std::chrono::milliseconds tick{100};  // the expiry period
  std::chrono::milliseconds connect_timeout{200};
  std::chrono::milliseconds command_timeout{500};
  std::chrono::milliseconds backoff_min{100};
  std::chrono::milliseconds backoff_max{2000};
  // Whether this node can announce a transition now (the bus's publisher and
  // subscriber are up). While it cannot, it leaves the expired users in
  // presence:dropping for a node that can: an offline popped here would
  // otherwise reach no other node. Empty: always.
  std::function<bool()> can_announce;
};

struct RedisPresenceStats {
  std::uint64_t came_online = 0;    // online transitions this node decided (and announces)
  std::uint64_t went_offline = 0;   // offline transitions this node decided (and announces)
  std::uint64_t nodes_reaped = 0;   // dead nodes whose connections this node dropped
  std::uint64_t registrations = 0;  // (re)registrations of this node's connections
  std::uint64_t snapshots = 0;      // full reads of presence:online
  std::uint64_t online_users = 0;   // online users in this node's mirror
  bool connected = false;
};

class RedisPresence final : public PresenceService {
 public:
  RedisPresence(RedisPresenceOptions options, const Clock& clock);
  ~RedisPresence() override;
  RedisPresence(const RedisPresence&) = delete;
  RedisPresence& operator=(const RedisPresence&) = delete;

  void touch(Id user) override;
  bool connected(Id user) override;  // always false: see take_came_online()
  void disconnected(Id user) override;
  std::vector<Id> expire_offline(TimeMs grace) override;
  std::vector<Id> take_came_online() override;
  PresenceState state(Id user) const override;
  std::int64_t connected_users() const override { return connected_users_.load(std::memory_order_relaxed); }

  void start();
  // Deregisters this node (its users go dropping at once, so the other nodes
  // announce them offline after the grace) and stops the thread.
  void stop();
  // Stops the thread without telling Redis, like a killed process (tests).
  void stop_without_cleanup();

  bool redis_connected() const { return up_.load(); }
  RedisPresenceStats stats() const;
  const std::string& node() const { return node_; }

 private:
  struct Local {
    int connections = 0;
    TimeMs last_seen_at = 0;
  };
  struct Mirror {
    bool online = false;
    TimeMs last_seen_at = 0;
  };

  void run();
  void run_log();
  void halt(bool cleanup);
  bool wait_for(std::chrono::milliseconds delay, bool wake_on_dirty);
  bool do_register(RedisConnection& connection);
  bool heartbeat(RedisConnection& connection, bool& still_registered);
  bool reap(RedisConnection& connection);
  bool sync_dirty(RedisConnection& connection);
  bool expire(RedisConnection& connection);
  bool read_log(RedisConnection& connection);
  bool snapshot(RedisConnection& connection);
  void deregister(RedisConnection& connection);
  void apply(Id user, bool online, TimeMs at);  // REQUIRES: mutex_ held

  const RedisPresenceOptions options_;
  const Clock& clock_;
  const std::string node_;
  std::atomic<TimeMs> grace_ms_;

  mutable std::mutex mutex_;
  // Users whose connections went 0 -> 1 minus those that went 1 -> 0 (under
  // mutex_; atomic so that /metrics reads it without the lock).
  std::atomic<std::int64_t> connected_users_{0};
  std::condition_variable wake_;
  std::unordered_map<Id, Local> local_;    // GUARDED_BY(mutex_)
  std::unordered_set<Id> dirty_;           // GUARDED_BY(mutex_): counts not yet synced
  std::unordered_map<Id, Mirror> mirror_;  // GUARDED_BY(mutex_)
  std::uint64_t mirror_online_ = 0;        // GUARDED_BY(mutex_): entries with online set
  std::vector<Id> came_online_;            // GUARDED_BY(mutex_)
  std::vector<Id> went_offline_;           // GUARDED_BY(mutex_)
  bool stopping_ = false;                  // GUARDED_BY(mutex_)
  bool cleanup_on_stop_ = true;            // GUARDED_BY(mutex_)

  // The log position, touched by the log thread only.
  long long last_seq_ = -1;
  std::string last_log_id_ = "0";
  bool need_snapshot_ = true;

  std::atomic<bool> up_{false};
  std::atomic<std::uint64_t> came_online_count_{0};
  std::atomic<std::uint64_t> went_offline_count_{0};
  std::atomic<std::uint64_t> nodes_reaped_{0};
  std::atomic<std::uint64_t> registrations_{0};
  std::atomic<std::uint64_t> snapshots_{0};
  std::thread thread_;      // registration, syncs, heartbeats, reaping, expiry
  std::thread log_thread_;  // presence:log into the mirror
};

}  // namespace parley::cluster::redis
