#include "notify/retry_policy.hpp"

namespace parley::notify {

std::optional<std::chrono::milliseconds> RetryPolicy::delay_after(int attempts) const {
  if (attempts < 1 || attempts >= max_attempts) return std::nullopt;
  auto delay = first_delay;
  // Doubling stops at the cap, so no shift can overflow however many attempts.
  for (int i = 1; i < attempts && delay < max_delay; ++i) delay *= 2;
  return delay < max_delay ? delay : max_delay;
}

}  // namespace parley::notify
