#pragma once
// Who is online, in this process. A user is online while any of their
// connections is; they go offline a grace period after the last one closes, so
// that a reconnect does not flap. lastSeenAt is the last time the user was seen
// (a request, a connection, a disconnect).
//
// Thread-safety: every method may be called from any thread (one mutex; the
// critical sections are a few map operations).

#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/clock.hpp"
#include "common/ids.hpp"

namespace parley::chat {

struct PresenceState {
  bool online = false;
  std::optional<TimeMs> last_seen_at;
};

class Presence {
 public:
  explicit Presence(const Clock& clock);

  // A request or event from the user: refreshes lastSeenAt.
  void touch(Id user);
  // A real-time connection opened; true if the user just came online.
  bool connected(Id user);
  // A connection closed; the user goes offline when `expire_offline` finds no
  // connection left after the grace period.
  void disconnected(Id user);
  // Users whose last connection closed at or before `now - grace`: marks them
  // offline and returns them (the caller announces it).
  std::vector<Id> expire_offline(TimeMs grace);

  PresenceState state(Id user) const;

 private:
  struct Entry {
    int connections = 0;
    bool online = false;
    TimeMs last_seen_at = 0;
    TimeMs offline_since = 0;  // when connections dropped to 0
  };

  const Clock& clock_;
  mutable std::mutex mutex_;
  std::unordered_map<Id, Entry> users_;  // GUARDED_BY(mutex_)
  // (offline_since, user) in the order connections dropped to 0, so that
  // expire_offline() looks only at users whose grace may be over, not at every
  // user (it ran over all of them each sweep). A user who reconnected, or
  // dropped again later, has a newer offline_since and its old place is skipped.
  std::deque<std::pair<TimeMs, Id>> dropped_;  // GUARDED_BY(mutex_)
};

}  // namespace parley::chat
