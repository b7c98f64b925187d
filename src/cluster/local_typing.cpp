#include "cluster/local_typing.hpp"

namespace parley::cluster {

LocalTyping::LocalTyping(const Clock& clock, std::chrono::milliseconds timeout)
    : clock_(clock), timeout_ms_(timeout.count()) {}

bool LocalTyping::started(TypingKey key) {
  const TimeMs deadline = clock_.now_ms() + timeout_ms_;
  std::lock_guard lock(mutex_);
  auto [it, inserted] = deadlines_.insert_or_assign(key, deadline);
  return inserted;
}

bool LocalTyping::stopped(TypingKey key) {
  std::lock_guard lock(mutex_);
  return deadlines_.erase(key) > 0;
}

std::vector<TypingKey> LocalTyping::expire() {
  const TimeMs now = clock_.now_ms();
  std::vector<TypingKey> expired;
  std::lock_guard lock(mutex_);
  for (auto it = deadlines_.begin(); it != deadlines_.end();) {
    if (it->second <= now) {
      expired.push_back(it->first);
      it = deadlines_.erase(it);
    } else {
      ++it;
    }
  }
  return expired;
}

}  // namespace parley::cluster
