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
//   - When it is not known (the first appends after start, or after the entry
//     was dropped as idle), completed deliveries are held until the
//     conversation has no append in flight; then they are released in seq
//     order and the highest becomes the last released. With nothing in flight
//     no lower seq can still come from this process, so the same applies when
//     a known run has a gap that no append in flight can fill.
//   - Releasing a delivery means calling `release` (the bus) and then the
//     completion's `after` (the sender's ack), so a sender never sees its ack
//     before the broadcast order is fixed. A conversation's releases never
//     overlap: one thread at a time drains its ready deliveries, in order.
// State is bounded: an entry with nothing in flight and nothing held is
// dropped (its last released seq is forgotten, which is safe by the second
// rule). Across nodes a networked bus repairs gaps from the store on the
// receiving side; this class only orders what this process appends.
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

  explicit DeliverySequencer(Release release);

  void begin(Id conversation);
  // REQUIRES: a begin() of the same conversation not yet completed.
  void complete(Id conversation, std::optional<Completion> completion);

  // Conversations with state (in flight or held), for tests and metrics.
  std::size_t tracked() const;

 private:
  struct State {
    int in_flight = 0;
    std::optional<store::Seq> last_released;
    std::map<store::Seq, Completion> held;  // completed, waiting for lower seqs
    std::deque<Completion> ready;           // released in this order by the draining thread
    bool draining = false;
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
  Shard shards_[kShards];
};

}  // namespace parley::chat
