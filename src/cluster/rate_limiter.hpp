#pragma once
// Per-key rate limits (a key is a user id; each limit has its own limiter):
// a token bucket per key, bursts of `burst`, refilled at `per_second`.
//
// Asynchronous by design: acquire() hands the decision to `done` instead of
// returning it, so that a limiter shared by the nodes of a cluster (a Redis
// round trip) never makes the caller wait, and an IO thread may call it. The
// local limiter decides at once and calls `done` inline, on the caller's
// thread, before acquire() returns; a networked one calls it later from its
// own thread. Either way `done` runs exactly once and must not block.
//
// Thread-safety: acquire() from any thread, concurrently.

#include <cstdint>
#include <functional>

#include "common/ids.hpp"

namespace parley::cluster {

struct RateDecision {
  bool allowed = true;
  std::int64_t retry_after_ms = 0;  // when refused: until one token is back
};

class RateLimiter {
 public:
  using Done = std::function<void(RateDecision)>;
  virtual ~RateLimiter() = default;
  virtual void acquire(Id key, Done done) = 0;
};

// Allows everything (--rate-limit off, tools, tests).
class UnlimitedRateLimiter final : public RateLimiter {
 public:
  void acquire(Id, Done done) override { done(RateDecision{}); }
};

}  // namespace parley::cluster
