#pragma once
// Who is typing where. A typing signal lasts `timeout` unless refreshed; when it
// lapses without stop_typing, expire() reports it so that the server can
// broadcast stop_typing itself.
//
// Thread-safety: every method may be called from any thread (one mutex).

#include <chrono>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

#include "common/clock.hpp"
#include "common/ids.hpp"

namespace parley::chat {

struct TypingKey {
  Id conversation_id = 0;
  Id user_id = 0;
  auto operator<=>(const TypingKey&) const = default;
};

class TypingTracker {
 public:
  TypingTracker(const Clock& clock, std::chrono::milliseconds timeout);

  // Returns true if the user was not typing there (a `typing` event is due);
  // either way the deadline moves to now + timeout.
  bool started(TypingKey key);
  // Returns true if the user was typing there (a `stop_typing` event is due).
  bool stopped(TypingKey key);
  // The signals whose deadline passed; they are forgotten.
  std::vector<TypingKey> expire();

 private:
  const Clock& clock_;
  const TimeMs timeout_ms_;
  std::mutex mutex_;
  std::map<TypingKey, TimeMs> deadlines_;  // GUARDED_BY(mutex_)
};

}  // namespace parley::chat
