#include "chat/cache_invalidations.hpp"

namespace parley::chat {

void CacheInvalidations::on_invalidation(const cluster::Invalidation& invalidation) {
  switch (invalidation.cache) {
    case cluster::Invalidation::Cache::history_pages: pages_.invalidate(invalidation.id); return;
    case cluster::Invalidation::Cache::members: members_.invalidate(invalidation.id); return;
    case cluster::Invalidation::Cache::user: users_.forget(invalidation.id); return;
  }
}

}  // namespace parley::chat
