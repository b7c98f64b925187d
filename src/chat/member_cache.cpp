#include "chat/member_cache.hpp"

#include <algorithm>

#include "cluster/bus.hpp"

namespace parley::chat {

bool MemberList::contains(Id user) const { return ids && std::binary_search(ids->begin(), ids->end(), user); }

MemberCache::MemberCache(store::Store& store, std::size_t max_entries, const Clock* clock,
                         std::chrono::milliseconds max_age)
    : store_(store),
      max_per_shard_(std::max<std::size_t>(1, max_entries / kShards)),
      clock_(clock),
      max_age_ms_(clock != nullptr ? max_age.count() : 0) {}

bool MemberCache::young(const Entry& entry) const {
  return max_age_ms_ <= 0 || clock_->now_ms() - entry.loaded_at < max_age_ms_;
}

std::optional<MemberList> MemberCache::peek(Id conversation) const {
  auto& s = shard(conversation);
  std::lock_guard lock(s.mutex);
  auto it = s.entries.find(conversation);
  if (it == s.entries.end() || !young(it->second)) return std::nullopt;
  return it->second.list;
}

Result<MemberList> MemberCache::get(Id conversation) {
  if (auto cached = peek(conversation)) return *cached;
  return load(conversation);
}

Result<MemberList> MemberCache::get_with(Id conversation, Id user) {
  auto cached = peek(conversation);
  // In one process the bus voided the entry before any addition was
  // acknowledged: a cached list is exact, and a non-member costs no read.
  if (cached && (cached->contains(user) || max_age_ms_ <= 0)) return *cached;
  return load(conversation);
}

Result<MemberList> MemberCache::load(Id conversation) {
  auto& s = shard(conversation);
  std::uint64_t generation;
  {
    std::lock_guard lock(s.mutex);
    generation = s.generation;
  }
  // Taken before the read: an entry is never older than its loaded_at.
  const TimeMs loaded_at = max_age_ms_ > 0 ? clock_->now_ms() : 0;
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
    if (s.entries.size() >= max_per_shard_ && !s.entries.contains(conversation)) s.entries.clear();
    s.entries[conversation] = Entry{list, loaded_at};
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
