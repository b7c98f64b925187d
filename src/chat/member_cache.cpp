#include "chat/member_cache.hpp"

#include <algorithm>

namespace parley::chat {

MemberCache::MemberCache(store::Store& store, std::size_t max_entries)
    : store_(store), max_per_shard_(std::max<std::size_t>(1, max_entries / kShards)) {}

MemberList MemberCache::peek(Id conversation) const {
  auto& s = shard(conversation);
  std::lock_guard lock(s.mutex);
  auto it = s.entries.find(conversation);
  return it == s.entries.end() ? nullptr : it->second;
}

MemberList MemberCache::get(Id conversation) {
  auto& s = shard(conversation);
  std::uint64_t generation;
  {
    std::lock_guard lock(s.mutex);
    if (auto it = s.entries.find(conversation); it != s.entries.end()) return it->second;
    generation = s.generation;
  }
  if (!store_.conversation_by_id(conversation)) return nullptr;
  auto ids = std::make_shared<std::vector<Id>>();
  for (const auto& m : store_.members_of(conversation)) ids->push_back(m.user.id);
  std::sort(ids->begin(), ids->end());
  MemberList list = std::move(ids);
  std::lock_guard lock(s.mutex);
  // A change that raced with this load makes the loaded list suspect: use it
  // for this call, but do not keep it.
  if (s.generation == generation) {
    if (s.entries.size() >= max_per_shard_) s.entries.clear();
    s.entries[conversation] = list;
  }
  return list;
}

void MemberCache::invalidate(Id conversation) {
  auto& s = shard(conversation);
  std::lock_guard lock(s.mutex);
  s.entries.erase(conversation);
  ++s.generation;
}

bool MemberCache::contains(const MemberList& members, Id user) {
  return members && std::binary_search(members->begin(), members->end(), user);
}

}  // namespace parley::chat
