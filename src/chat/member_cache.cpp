#include "chat/member_cache.hpp"

#include <algorithm>

#include "cluster/bus.hpp"

namespace parley::chat {

bool MemberList::contains(Id user) const { return ids && std::binary_search(ids->begin(), ids->end(), user); }

MemberCache::MemberCache(store::Store& store, std::size_t max_entries)
    : store_(store), max_per_shard_(std::max<std::size_t>(1, max_entries / kShards)) {}

std::optional<MemberList> MemberCache::peek(Id conversation) const {
  auto& s = shard(conversation);
  std::lock_guard lock(s.mutex);
  auto it = s.entries.find(conversation);
  if (it == s.entries.end()) return std::nullopt;
  return it->second;
}

Result<MemberList> MemberCache::get(Id conversation) {
  auto& s = shard(conversation);
  std::uint64_t generation;
  {
    std::lock_guard lock(s.mutex);
    if (auto it = s.entries.find(conversation); it != s.entries.end()) return it->second;
    generation = s.generation;
  }
  auto row = store_.conversation_by_id(conversation);
  if (!row) return row.error();
  if (!row->has_value()) return MemberList{};
  auto members = store_.members_of(conversation);
  if (!members) return members.error();
  auto ids = std::make_shared<std::vector<Id>>();
  ids->reserve(members->size());
  for (const auto& m : *members) ids->push_back(m.user.id);
  std::sort(ids->begin(), ids->end());
  MemberList list{std::move(ids), 0};
  list.digest = cluster::members_digest(*list.ids);
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

}  // namespace parley::chat
