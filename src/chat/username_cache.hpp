#pragma once
// Username → user id, for resolving @mentions without a store read per send.
// Sound because a username never changes and a user row is never deleted
// (see known_users.hpp): once seen, the pair stays true for the life of the
// process. Only found users are kept (a name nobody has may be registered any
// moment). Bounded: when full it starts again empty.
//
// Thread-safety: every method from any thread (one mutex, a lookup under it).

#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/ids.hpp"

namespace parley::chat {

class UsernameCache {
 public:
  explicit UsernameCache(std::size_t capacity = 100'000) : capacity_(capacity) {}

  // `username` lowercase (as normalize_username gives it).
  std::optional<Id> find(std::string_view username) const;
  void remember(std::string_view username, Id user);

 private:
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Id> ids_;  // GUARDED_BY(mutex_)
};

}  // namespace parley::chat
