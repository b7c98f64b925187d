#pragma once
// The presence registry of one process (presence.hpp): connection counts and
// lastSeenAt in a map under one mutex (the critical sections are a few map
// operations).
//
// Thread-safety: every method from any thread.

#include <atomic>
#include <deque>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cluster/presence.hpp"

namespace parley::cluster {

class LocalPresence final : public PresenceService {
 public:
  explicit LocalPresence(const Clock& clock);

  void touch(Id user) override;
  bool connected(Id user) override;
  void disconnected(Id user) override;
  std::vector<Id> expire_offline(TimeMs grace) override;
  PresenceState state(Id user) const override;
  std::int64_t connected_users() const override { return connected_users_.load(std::memory_order_relaxed); }

 private:
  struct Entry {
    int connections = 0;
    bool online = false;
    TimeMs last_seen_at = 0;
    TimeMs offline_since = 0;  // when connections dropped to 0
  };

  const Clock& clock_;
  mutable std::mutex mutex_;
  // Users whose connections went 0 -> 1 minus those that went 1 -> 0 (under
  // mutex_; atomic so that /metrics reads it without the lock).
  std::atomic<std::int64_t> connected_users_{0};
  std::unordered_map<Id, Entry> users_;  // GUARDED_BY(mutex_)
  // (offline_since, user) in the order connections dropped to 0, so that
  // expire_offline() looks only at users whose grace may be over, not at every
  // user. A user who reconnected, or dropped again later, has a newer
  // offline_since and its old place is skipped.
  std::deque<std::pair<TimeMs, Id>> dropped_;  // GUARDED_BY(mutex_)
};

}  // namespace parley::cluster
