#pragma once
// Per-user rate limits: a token bucket per key (bursts of `burst`, refilled at
// `per_second`). The interface is shared by the in-process limiter (embedded
// mode) and a Redis-backed one (cluster mode).
//
// Thread-safety: try_acquire() may be called from any thread.

#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "common/clock.hpp"
#include "common/ids.hpp"

namespace parley::cluster {

struct RateDecision {
  bool allowed = true;
  std::int64_t retry_after_ms = 0;  // when refused: until one token is back
};

class RateLimiter {
 public:
  virtual ~RateLimiter() = default;
  virtual RateDecision try_acquire(Id key) = 0;
};

class UnlimitedRateLimiter final : public RateLimiter {
 public:
  RateDecision try_acquire(Id) override { return {}; }
};

class LocalRateLimiter final : public RateLimiter {
 public:
  // REQUIRES: burst >= 1, per_second > 0.
  LocalRateLimiter(int burst, double per_second, const Clock& clock);
  RateDecision try_acquire(Id key) override;

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
