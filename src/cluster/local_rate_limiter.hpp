#pragma once
// The rate limiter of one process (rate_limiter.hpp): token buckets in memory,
// sharded by key. acquire() calls `done` inline; try_acquire() is the same
// decision returned directly.
//
// Thread-safety: every method from any thread (16 sharded mutexes).

#include <mutex>
#include <unordered_map>

#include "cluster/rate_limiter.hpp"
#include "common/clock.hpp"

namespace parley::cluster {

class LocalRateLimiter final : public RateLimiter {
 public:
  // REQUIRES: burst >= 1, per_second > 0.
  LocalRateLimiter(int burst, double per_second, const Clock& clock);

  void acquire(Id key, Done done) override { done(try_acquire(key)); }
  RateDecision try_acquire(Id key);

 private:
  struct Bucket {
    double tokens;
    TimeMs updated_at;
  };
  static constexpr int kShards = 16;  // spreads the lock across users
  struct Shard {
    std::mutex mutex;
    std::unordered_map<Id, Bucket> buckets;  // GUARDED_BY(mutex)
  };

  const double burst_;
  const double per_ms_;
  const Clock& clock_;
  Shard shards_[kShards];
};

}  // namespace parley::cluster
