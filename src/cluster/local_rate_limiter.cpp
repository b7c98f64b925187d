#include <algorithm>
#include <cmath>

#include "cluster/local_rate_limiter.hpp"

namespace parley::cluster {

LocalRateLimiter::LocalRateLimiter(int burst, double per_second, const Clock& clock)
    : burst_(burst), per_ms_(per_second / 1000.0), clock_(clock) {}

RateDecision LocalRateLimiter::try_acquire(Id key) {
  const TimeMs now = clock_.now_ms();
  auto& shard = shards_[static_cast<std::uint64_t>(key) % kShards];
  std::lock_guard lock(shard.mutex);
  auto [it, inserted] = shard.buckets.try_emplace(key, Bucket{burst_, now});
  Bucket& bucket = it->second;
  if (!inserted) {
    bucket.tokens = std::min(burst_, bucket.tokens + static_cast<double>(now - bucket.updated_at) * per_ms_);
    bucket.updated_at = now;
  }
  if (bucket.tokens >= 1.0) {
    bucket.tokens -= 1.0;
    return {true, 0};
  }
  const double missing = 1.0 - bucket.tokens;
  return {false, static_cast<std::int64_t>(std::ceil(missing / per_ms_))};
}

}  // namespace parley::cluster
