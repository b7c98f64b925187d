#pragma once
// The typing signals of one process (typing.hpp): deadlines in an ordered map
// under one mutex.
//
// Thread-safety: every method from any thread.

#include <chrono>
#include <map>
#include <mutex>

#include "cluster/typing.hpp"
#include "common/clock.hpp"

namespace parley::cluster {

class LocalTyping final : public TypingService {
 public:
  LocalTyping(const Clock& clock, std::chrono::milliseconds timeout);

  bool started(TypingKey key) override;
  bool stopped(TypingKey key) override;
  std::vector<TypingKey> expire() override;

 private:
  const Clock& clock_;
  const TimeMs timeout_ms_;
  std::mutex mutex_;
  std::map<TypingKey, TimeMs> deadlines_;  // GUARDED_BY(mutex_)
};

}  // namespace parley::cluster
