#include "chat/username_cache.hpp"

namespace parley::chat {

std::optional<Id> UsernameCache::find(std::string_view username) const {
  std::lock_guard lock(mutex_);
  // Heterogeneous lookup needs a transparent hash; one short string per
  // mention is cheaper to reason about.
  auto it = ids_.find(std::string(username));
  if (it == ids_.end()) return std::nullopt;
  return it->second;
}

void UsernameCache::remember(std::string_view username, Id user) {
  std::lock_guard lock(mutex_);
  if (ids_.size() >= capacity_) ids_.clear();
  ids_.insert_or_assign(std::string(username), user);
}

}  // namespace parley::chat
