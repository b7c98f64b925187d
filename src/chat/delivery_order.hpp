#pragma once
// DeliveryOrder: the receiving side of a networked bus, between the bus and the
// real-time gateway. It gives every conversation's new_message deliveries to the
// gateway in strict seq order, once each, and repairs from the store what the
// bus lost (a publish dropped while Redis was away, a node that crashed between
// its commit and its publish, the time a subscription was down).
// docs/architecture.md describes the cluster; this is its "order and loss" part.
//
// Per conversation it keeps the last seq delivered:
//   - a delivery with seq == last + 1 goes on at once, with the held ones it
//     makes contiguous; seq <= last is a duplicate and is dropped;
//   - a higher seq is held; if the gap is still open after `gap_timeout`, the
//     missing messages are read from the store (after `last`, before the lowest
//     held seq), rendered
//     as new_message (views.hpp) for the members from the MemberCache, and
//     delivered, then the held ones;
//   - a sweep reads every recently active conversation (`active_window`) from
//     its last delivered seq every `position_check_interval` (a lost LAST
//     message leaves no gap to notice), every `poll_interval` while the bus says
//     it is disconnected (live delivery then continues from the store), and
//     every tracked conversation after on_bus_reconnected().
// A repair that read a gap completely delivers the held delivery above it even
// if a seq of the gap was not found: the held one was committed before the read
// began, and a seq is committed only after every lower one of its conversation,
// so what the read did not return does not exist.
//
// A conversation seen for the first time starts from what arrives first, but
// not at once: messages sent through different nodes reach Redis in no
// promised order, so seq 2 (sent on one node) may arrive before seq 1 (sent on
// another), and taking 2 as the base would drop 1 as old. Unless the first
// delivery is seq 1, the conversation settles for `gap_timeout`: everything
// that arrives meanwhile is held, and then the lowest seq seen becomes the
// first delivered (nothing older is delivered: the node did not track the
// conversation before, and a client catches up on what precedes with GET
// /api/messages/:cid?after=, docs/realtime.md). The same holds when an idle
// entry is evicted and the conversation comes back later. A lower seq that
// arrives after the settling is taken as already delivered.
//
// A delivery whose members came by reference (cluster/bus.hpp) gets the list
// from the MemberCache when the digests match. When they do not (this node's
// list is stale, or not loaded), the cached list is dropped and the delivery is
// treated as lost, but known to be: a catch-up repair is due at the next tick
// (no gap timeout), reads the message and those after it from the store and
// renders them for the members read afresh; later deliveries wait as behind
// any gap. So a membership change costs its first message one store read on
// each other node, and a stale member list heals itself.
//
// Deliveries of any other event than new_message (typing, user_status,
// message_updated, reaction_updated, ...), with a seq or not, and
// invalidations go straight to the downstream subscriber; one whose members
// came by reference gets the cached list when the digests match and is
// dropped otherwise (a client repairs a lost change by the change sequence,
// docs/features.md).
//
// Bounds: at most `max_conversations` tracked (idle entries, least recently
// active first, are evicted when a shard is full) and `max_held` deliveries
// held per conversation (a delivery beyond is dropped: the repair reads it from
// the store). One sweep runs at a time, on one worker.
//
// Thread-safety: on_delivery(), on_invalidation(), on_bus_reconnected() and
// stats() from any thread, concurrently. The downstream subscriber is called
// under a shard mutex, so that one conversation's deliveries never overlap; it
// must not block (BusSubscriber's contract). start() and stop() from the
// owner's thread. Ownership: borrows the store, the member cache and the
// downstream subscriber; stop() (also run by the destructor) waits for the
// repair jobs it offloaded, so the offload must still run jobs when it is called.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include "chat/member_cache.hpp"
#include "chat/offload.hpp"
#include "cluster/bus.hpp"
#include "common/ids.hpp"
#include "store/store.hpp"

namespace parley::chat {

struct DeliveryOrderOptions {
  std::chrono::milliseconds gap_timeout{150};
  std::chrono::milliseconds position_check_interval{3000};
  std::chrono::milliseconds poll_interval{750};
  std::chrono::milliseconds active_window{std::chrono::minutes(5)};
  std::chrono::milliseconds tick{25};  // how often held gaps are looked at
  std::size_t max_conversations = 100'000;
  std::size_t max_held = 256;
  int repair_page = 200;  // messages read per store query
};

struct DeliveryOrderDeps {
  store::Store* store = nullptr;
  MemberCache* members = nullptr;
  Offload offload;
  cluster::BusSubscriber* downstream = nullptr;
  // False while the bus cannot carry other nodes' events: sweeps then poll.
  std::function<bool()> bus_connected;
};

struct DeliveryOrderStats {
  std::uint64_t delivered = 0;        // new_message deliveries passed on, repaired ones included
  std::uint64_t duplicates = 0;       // dropped: seq already delivered
  std::uint64_t repaired = 0;         // messages read from the store and delivered
  std::uint64_t repair_failures = 0;  // store or member reads that failed (retried later)
  std::uint64_t overflow = 0;         // dropped: too many held (repaired from the store)
  std::uint64_t member_misses = 0;    // by-reference member lists not cached here (read from the store)
  std::size_t tracked = 0;
};

class DeliveryOrder final : public cluster::BusSubscriber {
 public:
  DeliveryOrder(DeliveryOrderDeps deps, DeliveryOrderOptions options = {});
  ~DeliveryOrder() override;
  DeliveryOrder(const DeliveryOrder&) = delete;
  DeliveryOrder& operator=(const DeliveryOrder&) = delete;

  void on_delivery(const cluster::Delivery& delivery) override;
  void on_invalidation(const cluster::Invalidation& invalidation) override;
  // The bus subscribed again: every tracked conversation is repaired.
  void on_bus_reconnected();

  // Starts the timer thread (gap deadlines and sweeps).
  void start();
  void stop();

  DeliveryOrderStats stats() const;

 private:
  using SteadyClock = std::chrono::steady_clock;
  struct State {
    store::Seq last = 0;
    std::map<store::Seq, cluster::Delivery> held;
    std::optional<SteadyClock::time_point> gap_since;  // set while `held` is not empty
    SteadyClock::time_point active;                    // the latest delivery
    bool repairing = false;
    bool catch_up = false;  // a known missing message: repair to the newest at the next tick
    // First seen above seq 1: the lowest seq seen while settling, until the deadline.
    std::optional<store::Seq> settling_lowest;
    SteadyClock::time_point settle_deadline;
  };
  static constexpr std::size_t kShards = 16;
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<Id, State> states;  // GUARDED_BY(mutex)
  };
  Shard& shard(Id conversation) { return shards_[static_cast<std::uint64_t>(conversation) % kShards]; }

  // REQUIRES: the shard mutex held.
  void deliver(State& state, const cluster::Delivery& delivery);
  void drain(State& state);
  // Ends the settling of a first-seen conversation: delivers from the lowest seq seen.
  void settle(State& state);
  // Any event but new_message: on at once, members resolved (see the header).
  void pass_through(const cluster::Delivery& incoming);
  State* insert(Shard& shard, Id conversation);

  void run_timer();
  void offload(std::function<void()> job);
  // Reads the gaps below held deliveries from the store and delivers them, and
  // with `to_newest` (a sweep) everything after the last delivered seq.
  // REQUIRES: the caller set `repairing`; this clears it.
  void repair(Id conversation, bool to_newest);
  // False when a read failed.
  bool repair_rounds(Id conversation, bool to_newest);
  void sweep(bool all);

  const DeliveryOrderDeps deps_;
  const DeliveryOrderOptions options_;
  const std::size_t max_per_shard_;
  Shard shards_[kShards];

  std::mutex timer_mutex_;
  std::condition_variable timer_wake_;
  std::condition_variable jobs_done_;
  bool stopping_ = false;    // GUARDED_BY(timer_mutex_)
  int jobs_in_flight_ = 0;   // GUARDED_BY(timer_mutex_)
  std::atomic<bool> stop_flag_{false};
  std::atomic<bool> reconnect_pending_{false};
  std::atomic<bool> sweep_running_{false};
  std::thread timer_;

  std::atomic<std::uint64_t> delivered_{0};
  std::atomic<std::uint64_t> duplicates_{0};
  std::atomic<std::uint64_t> repaired_{0};
  std::atomic<std::uint64_t> repair_failures_{0};
  std::atomic<std::uint64_t> overflow_{0};
  std::atomic<std::uint64_t> member_misses_{0};
};

}  // namespace parley::chat
