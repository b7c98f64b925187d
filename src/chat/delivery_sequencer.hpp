#pragma once
// DeliverySequencer: puts new_message deliveries back in seq order.
//
// The store completes appends in no promised order (store.hpp: a backend may
// finish them on several threads), yet every connection must receive a
// conversation's messages in seq order (docs/realtime.md, "Order and loss").
// The chat layer restores that order here, before publishing on the bus.
//
// The rule, per conversation:
//   - Messages calls begin() when it starts an append and complete() exactly
//     once when it ends: with the delivery (carrying its seq) if a message was
//     created, or with nothing if it failed or was a duplicate.
//   - A completed delivery is released when every lower seq of the
//     conversation was released. Once the conversation's last released seq is
//     known, contiguous runs are released (last + 1, last + 2, ...).
//   - When it is not known (the first appends after start, or after the
//     conversation's idle entry was dropped), completed deliveries are held
//     until the conversation has no append in flight; then they are released
//     in seq order and the highest becomes the last released. With nothing in
//     flight no lower seq can still come from this process, so the same
//     applies when a known run has a gap that no append in flight can fill
//     (a seq written by another node).
//   - Releasing a delivery means calling `release` (the bus) and then the
//     completion's `after` (the sender's ack), so a sender never sees its ack
//     before the broadcast order is fixed. A conversation's releases never
//     overlap: one thread at a time drains its ready deliveries, in order.
// An idle entry (nothing in flight, nothing held) keeps only its last released
// seq, so that the next send of a busy conversation goes out at once (every
// append of this process passes here, so the next seq it sees is last + 1
// unless another node wrote one, which the gap rule above covers). State is
// bounded: when a shard is full, its idle entries are dropped (their last
// released seq is forgotten, which the rule above makes safe); entries with
// appends in flight are bounded by the store's write queue. Across nodes a
// networked bus repairs gaps from the store on the receiving side; this class
// only orders what this process appends.
//
// Thread-safety: begin() and complete() from any thread, concurrently
// (sharded mutexes; `release` and `after` run outside them). Ownership: owns
// `release`, which must stay callable for the sequencer's life.

#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "cluster/bus.hpp"
#include "common/ids.hpp"
#include "store/records.hpp"

namespace parley::chat {

class DeliverySequencer {
 public:
  using Release = std::function<void(cluster::Delivery)>;
  struct Completion {
    cluster::Delivery delivery;   // REQUIRES: delivery.seq > 0
    std::function<void()> after;  // optional: runs right after the release
  };

  // `max_entries`: idle entries kept (across all shards) before dropping them.
  explicit DeliverySequencer(Release release, std::size_t max_entries = 65'536);

  void begin(Id conversation);
  // REQUIRES: a begin() of the same conversation not yet completed.
  void complete(Id conversation, std::optional<Completion> completion);

  // Conversations with an entry, idle ones included (tests, metrics).
  std::size_t tracked() const;
  // Conversations with appends in flight or deliveries held.
  std::size_t busy() const;

 private:
  struct State {
    int in_flight = 0;
    std::optional<store::Seq> last_released;
    std::map<store::Seq, Completion> held;  // completed, waiting for lower seqs
    std::deque<Completion> ready;           // released in this order by the draining thread
    bool draining = false;
    bool idle() const { return in_flight == 0 && held.empty() && ready.empty() && !draining; }
  };
  static constexpr std::size_t kShards = 64;
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<Id, State> states;  // GUARDED_BY(mutex)
  };
  Shard& shard(Id conversation) { return shards_[static_cast<std::uint64_t>(conversation) % kShards]; }
  // Moves what may go now from `held` to `ready`. REQUIRES: shard mutex held.
  static void collect(State& state);

  const Release release_;
  const std::size_t max_per_shard_;
  Shard shards_[kShards];
};

}  // namespace parley::chat
