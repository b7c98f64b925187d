#include "chat/page_cache.hpp"

#include <algorithm>

namespace parley::chat {

PageCache::PageCache(std::size_t max_bytes) : max_bytes_per_shard_(max_bytes / kShards) {}

PageCache::Page PageCache::find(Id conversation, const PageKey& key) const {
  auto hit = lookup(conversation, key);
  return hit ? hit->page : nullptr;
}

std::optional<PageCache::Hit> PageCache::lookup(Id conversation, const PageKey& key) const {
  auto& s = shard(conversation);
  std::lock_guard lock(s.mutex);
  auto it = s.entries.find(conversation);
  if (it == s.entries.end()) return std::nullopt;
  for (std::size_t i = 0; i < kPagesPerConversation; ++i)
    if (it->second.pages[i] && it->second.keys[i] == key) return Hit{it->second.pages[i], it->second.tags[i]};
  return std::nullopt;
}

std::uint64_t PageCache::generation(Id conversation) const {
  auto& s = shard(conversation);
  std::lock_guard lock(s.mutex);
  return s.generation;
}

void PageCache::put(Id conversation, std::uint64_t generation, const PageKey& key, Page page, PageTag tag) {
  if (!page || page->size() > max_bytes_per_shard_) return;
  auto& s = shard(conversation);
  std::lock_guard lock(s.mutex);
  if (s.generation != generation) return;  // the conversation (or a neighbour) changed meanwhile
  auto [it, inserted] = s.entries.try_emplace(conversation);
  if (inserted) {
    it->second.stamp = ++s.next_stamp;
    s.order.emplace_back(conversation, it->second.stamp);
    if (s.order.size() > 2 * s.entries.size() + 64) {
      std::erase_if(s.order, [&s](const auto& place) {
        auto live = s.entries.find(place.first);
        return live == s.entries.end() || live->second.stamp != place.second;
      });
    }
  }
  Entry& entry = it->second;
  std::size_t slot = entry.next;
  for (std::size_t i = 0; i < kPagesPerConversation; ++i)
    if (entry.pages[i] && entry.keys[i] == key) slot = i;
  if (slot == entry.next) entry.next = (entry.next + 1) % kPagesPerConversation;
  if (entry.pages[slot]) {
    entry.bytes -= entry.pages[slot]->size();
    s.bytes -= entry.pages[slot]->size();
  }
  entry.bytes += page->size();
  s.bytes += page->size();
  entry.keys[slot] = key;
  entry.tags[slot] = tag;
  entry.pages[slot] = std::move(page);
  while (s.bytes > max_bytes_per_shard_ && s.entries.size() > 1 && evict_oldest(s)) {
  }
}

void PageCache::invalidate(Id conversation) {
  auto& s = shard(conversation);
  std::lock_guard lock(s.mutex);
  ++s.generation;
  erase(s, conversation);
}

void PageCache::erase(Shard& s, Id conversation) {
  auto it = s.entries.find(conversation);
  if (it == s.entries.end()) return;
  s.bytes -= it->second.bytes;
  s.entries.erase(it);
}

bool PageCache::evict_oldest(Shard& s) {
  while (!s.order.empty()) {
    const auto [id, stamp] = s.order.front();
    s.order.pop_front();
    auto it = s.entries.find(id);
    if (it != s.entries.end() && it->second.stamp == stamp) {
      erase(s, id);
      return true;
    }
  }
  return false;
}

}  // namespace parley::chat
