#pragma once
// Who is in each conversation, kept in memory: every send and every broadcast
// needs the member list, and reading it from the database each time costs more
// than the send itself. Entries are loaded on first use and dropped whenever the
// conversation's membership changes (Conversations calls invalidate()).
//
// Thread-safety: every method may be called from any thread (sharded mutexes).
// get() may read the store: never call it on an IO thread; peek() never does.

#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "common/ids.hpp"
#include "store/store.hpp"

namespace parley::chat {

using MemberList = std::shared_ptr<const std::vector<Id>>;

class MemberCache {
 public:
  explicit MemberCache(store::Store& store, std::size_t max_entries = 200'000);

  // The member ids, loading them on a miss. Null if the conversation does not exist.
  MemberList get(Id conversation);
  // The cached member ids, or null on a miss. Never touches the store.
  MemberList peek(Id conversation) const;
  void invalidate(Id conversation);

  static bool contains(const MemberList& members, Id user);

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
