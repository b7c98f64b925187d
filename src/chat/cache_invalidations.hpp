#pragma once
// Applies the bus's cache invalidations to this process's chat caches: history
// pages (PageCache), member lists (MemberCache) and known users (KnownUsers).
// The chat services never invalidate a cache directly; they send an
// Invalidation on the bus, which brings it here on every node
// (docs/caching.md).
//
// Thread-safety: on_invalidation() from any thread (the caches are
// thread-safe). Ownership: borrows the caches, which outlive the bus's use.

#include "chat/known_users.hpp"
#include "chat/member_cache.hpp"
#include "chat/page_cache.hpp"
#include "cluster/bus.hpp"

namespace parley::chat {

class CacheInvalidations final : public cluster::BusSubscriber {
 public:
  CacheInvalidations(PageCache& pages, MemberCache& members, KnownUsers& users)
      : pages_(pages), members_(members), users_(users) {}

  void on_invalidation(const cluster::Invalidation& invalidation) override;

 private:
  PageCache& pages_;
  MemberCache& members_;
  KnownUsers& users_;
};

}  // namespace parley::chat
