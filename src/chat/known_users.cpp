#include "chat/known_users.hpp"

namespace parley::chat {

KnownUsers::KnownUsers(std::size_t capacity) : per_shard_(capacity / kShards + 1) {}

void KnownUsers::remember(Id user) {
  auto& s = shard(user);
  std::lock_guard lock(s.mutex);
  if (s.ids.size() < per_shard_) s.ids.insert(user);
}

void KnownUsers::forget(Id user) {
  auto& s = shard(user);
  std::lock_guard lock(s.mutex);
  s.ids.erase(user);
}

bool KnownUsers::contains(Id user) const {
  auto& s = shard(user);
  std::lock_guard lock(s.mutex);
  return s.ids.contains(user);
}

}  // namespace parley::chat
