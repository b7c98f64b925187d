#pragma once
// The ids of users known to exist, so that a request or a Socket.IO CONNECT with
// a valid token can be authenticated on the IO thread where it arrived, without
// reading the users table (a store read there would block the thread, and a hop
// to the worker pool and back costs more than the rest of a cached answer).
//
// Sound because a user row is never deleted and its id never reused: once seen,
// an id stays valid for the life of the process. (If deleting users is ever
// added, it must call forget().) Bounded: past `capacity` ids nothing more is
// remembered and those users take the worker path, which reads the store.
//
// Thread-safety: every method from any thread (sharded mutexes, a few
// instructions under each).

#include <array>
#include <cstddef>
#include <mutex>
#include <unordered_set>

#include "common/ids.hpp"

namespace parley::chat {

class KnownUsers {
 public:
  explicit KnownUsers(std::size_t capacity = 1'000'000);

  void remember(Id user);
  void forget(Id user);
  bool contains(Id user) const;

 private:
  static constexpr std::size_t kShards = 16;
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_set<Id> ids;  // GUARDED_BY(mutex)
  };
  Shard& shard(Id user) const { return shards_[static_cast<std::uint64_t>(user) % kShards]; }

  const std::size_t per_shard_;
  mutable std::array<Shard, kShards> shards_;
};

}  // namespace parley::chat
