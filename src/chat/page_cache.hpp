#pragma once
// Rendered history pages (the JSON body of GET /api/messages/:id), kept in
// memory so that the pages everybody asks for (the latest page of a busy
// conversation, on every open, by every member) are answered on the IO thread
// without a query or a render.
//
// Correctness: a page depends only on the conversation's messages (and its
// last seq), never on who asks, so an entry is valid until the next message,
// deletion or edit in that conversation, which must invalidate it after it
// commits (a history_pages Invalidation on the bus, applied here by
// CacheInvalidations). Only pages read successfully are ever put(). A page computed from a snapshot taken before such a change must not
// be stored after invalidate() ran: callers take generation() before reading
// the store and pass it to put(), which stores nothing if an invalidation of
// that shard happened in between (a few needless misses, never a stale page).
// Membership is not this cache's business: callers check it first.
//
// Across nodes the bus is late or lossy, so cluster mode does not trust it
// alone (Messages::page_json, docs/replicas.md): each page carries a PageTag,
// the conversation's last_seq and last_change_seq read before the page was,
// and when it was stored. A page whose tag still equals both on the primary
// lacks no message and no change (an edit, a reaction, a deletion moves
// last_change_seq); a page wholly before its tag (a `before` cursor at most
// last_seq + 1) can gain no message, and its messages' changes are bounded
// by the age.
//
// Bounded by bytes (default 32 MiB); a full shard drops its oldest entries.
// Thread-safety: every method from any thread (16 sharded mutexes).

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "common/clock.hpp"
#include "common/ids.hpp"
#include "store/records.hpp"

namespace parley::chat {

// One page request, normalized: a cursor that is absent is -1.
struct PageKey {
  store::Seq before = -1;
  store::Seq after = -1;
  int limit = 0;
  bool operator==(const PageKey&) const = default;
};

// What a page was computed from: the conversation's last_seq and
// last_change_seq, read before the page (-1: not known), and when it was stored.
struct PageTag {
  store::Seq last_seq = -1;
  store::Seq last_change_seq = -1;
  TimeMs stored_at = 0;
};

class PageCache {
 public:
  using Page = std::shared_ptr<const std::string>;
  struct Hit {
    Page page;
    PageTag tag;
  };

  explicit PageCache(std::size_t max_bytes = 32u << 20);

  Page find(Id conversation, const PageKey& key) const;
  std::optional<Hit> lookup(Id conversation, const PageKey& key) const;
  std::uint64_t generation(Id conversation) const;
  void put(Id conversation, std::uint64_t generation, const PageKey& key, Page page, PageTag tag = {});
  void invalidate(Id conversation);

 private:
  static constexpr std::size_t kShards = 16;
  static constexpr std::size_t kPagesPerConversation = 4;
  struct Entry {
    std::array<PageKey, kPagesPerConversation> keys{};
    std::array<Page, kPagesPerConversation> pages{};
    std::array<PageTag, kPagesPerConversation> tags{};
    std::size_t next = 0;  // the slot the next put() replaces
    std::size_t bytes = 0;
    std::uint64_t stamp = 0;  // matches its place in Shard::order
  };
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<Id, Entry> entries;  // GUARDED_BY(mutex)
    // Insertion order, for eviction. Erasing an entry leaves its place here (an
    // invalidation must be O(1): every committed message causes one);
    // a place whose stamp no longer matches is skipped, and the deque is
    // compacted when such places outnumber the live ones.
    std::deque<std::pair<Id, std::uint64_t>> order;  // GUARDED_BY(mutex)
    std::uint64_t next_stamp = 0;                    // GUARDED_BY(mutex)
    std::size_t bytes = 0;                  // GUARDED_BY(mutex)
    std::uint64_t generation = 0;           // GUARDED_BY(mutex)
  };
  Shard& shard(Id conversation) const { return shards_[static_cast<std::uint64_t>(conversation) % kShards]; }
  static void erase(Shard& s, Id conversation);
  static bool evict_oldest(Shard& s);  // false if nothing was left to evict

  const std::size_t max_bytes_per_shard_;
  mutable std::array<Shard, kShards> shards_;
};

}  // namespace parley::chat
