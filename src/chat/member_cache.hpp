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
// Thread-safety: every method may be called from any thread (sharded mutexes).
// get() may read the store: never call it on an IO thread; peek() never does.

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

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
  explicit MemberCache(store::Store& store, std::size_t max_entries = 200'000);

  // The members, loading them on a miss. A missing conversation is a MemberList
  // without ids (not cached); a store failure is its error (not cached).
  Result<MemberList> get(Id conversation);
  // The cached members, or nullopt on a miss. Never touches the store.
  std::optional<MemberList> peek(Id conversation) const;
  void invalidate(Id conversation);

 private:
  static constexpr std::size_t kShards = 16;
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<Id, MemberList> entries;  // GUARDED_BY(mutex)
    std::uint64_t generation = 0;                // GUARDED_BY(mutex): bumped by invalidate()
  };
  Shard& shard(Id conversation) const { return shards_[static_cast<std::uint64_t>(conversation) % kShards]; }

  store::Store& store_;
  const std::size_t max_per_shard_;
  mutable Shard shards_[kShards];
};

}  // namespace parley::chat
