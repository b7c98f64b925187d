#pragma once
// When a failed webhook delivery is tried again: exponential backoff from
// `first_delay`, doubling, capped at `max_delay`, at most `max_attempts`
// attempts in all (docs/features.md: 1 s, 2 s, 4 s ... up to 5 minutes, 8
// attempts). Tests shorten the delays; the schedule's shape stays.
//
// Thread-safety: a value; pure functions.

#include <chrono>
#include <optional>

namespace parley::notify {

struct RetryPolicy {
  std::chrono::milliseconds first_delay{1000};
  std::chrono::milliseconds max_delay{5 * 60 * 1000};
  int max_attempts = 8;

  // The wait after the `attempts`-th failed attempt (1-based) before the next
  // one, or nothing when that was the last attempt allowed (the delivery is
  // given up).
  std::optional<std::chrono::milliseconds> delay_after(int attempts) const;
};

}  // namespace parley::notify
