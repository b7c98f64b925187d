#pragma once
// Who is in each conversation, kept in memory: every send and every broadcast
// needs the member list, and reading it from the database each time costs more
// than the send itself. Entries are loaded on first use and dropped whenever the
// conversation's membership changes (a members Invalidation on the bus, applied
// by CacheInvalidations).
//
// Only successful reads are kept: a store failure is returned as the error it
// is and leaves the cache as it was, so an outage never turns into "nobody is
// a member".
//
// Across nodes (docs/replicas.md, "Caches across nodes"): the invalidation of
// a change made on another node arrives through Redis, later than the change
// or, if Redis drops it, never. Two things bound how wrong a list can be:
//   - an addition is never missed where it matters: in cluster mode
//     get_with(conversation, user) reads the store again when the cached list
//     lacks `user`, so a member just added can send and read at once on every
//     node (only non-members pay that read);
//   - with `max_age` > 0 (cluster mode) an entry older than max_age is a miss,
//     so a removed member stops receiving a node's deliveries and reading its
//     history at most max_age after the removal, even if the invalidation was
//     lost. 0 (one process, where the bus is synchronous): kept until
//     invalidated.
//
// Thread-safety: every method may be called from any thread (sharded mutexes).
// get() may read the store: never call it on an IO thread; peek() never does.

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "common/clock.hpp"
#include "common/ids.hpp"
#include "common/result.hpp"
#include "store/store.hpp"

namespace parley::chat {

// A conversation's member ids, ascending, with their digest (the list's
// explicit id on the bus, cluster::members_digest). `ids` null: the
// conversation does not exist.
struct MemberList {
  std::shared_ptr<const std::vector<Id>> ids;
  std::uint64_t digest = 0;

  bool exists() const { return ids != nullptr; }
  bool contains(Id user) const;
};

class MemberCache {
 public:
  // `clock` may be null when max_age is 0 (entries never age).
  explicit MemberCache(store::Store& store, std::size_t max_entries = 200'000, const Clock* clock = nullptr,
                       std::chrono::milliseconds max_age = std::chrono::milliseconds(0));

  // The members, loading them on a miss. A missing conversation is a MemberList
  // without ids (not cached); a store failure is its error (not cached).
  Result<MemberList> get(Id conversation);
  // The same, but in cluster mode (max_age > 0) a cached list that lacks
  // `user` is read again from the store (and replaces the entry): the answer
  // for `user` is never older than this call when it would be a refusal. In
  // one process the cached list is exact (the bus is synchronous): as get().
  Result<MemberList> get_with(Id conversation, Id user);
  // The cached members, or nullopt on a miss. Never touches the store.
  std::optional<MemberList> peek(Id conversation) const;
  void invalidate(Id conversation);

 private:
  static constexpr std::size_t kShards = 16;
  struct Entry {
    MemberList list;
    TimeMs loaded_at = 0;
  };
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<Id, Entry> entries;  // GUARDED_BY(mutex)
    std::uint64_t generation = 0;                // GUARDED_BY(mutex): bumped by invalidate()
  };
  Shard& shard(Id conversation) const { return shards_[static_cast<std::uint64_t>(conversation) % kShards]; }

  bool young(const Entry& entry) const;
  Result<MemberList> load(Id conversation);

  store::Store& store_;
  const std::size_t max_per_shard_;
  const Clock* clock_;
  const std::int64_t max_age_ms_;
  mutable Shard shards_[kShards];
};

}  // namespace parley::chat
