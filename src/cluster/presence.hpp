#pragma once
// Who is online. A user is online while any of their connections is; they go
// offline a grace period after the last one closes, so that a reconnect does
// not flap. lastSeenAt is the last time the user was seen (a request, a
// connection, a disconnect).
//
// Non-blocking by design: every method answers from memory at once and may be
// called on an IO thread. LocalPresence (local_presence.hpp) is the whole
// truth for one process. A networked implementation keeps the same local view
// of this node's connections, answers from it, and syncs with the other nodes
// in the background (publishing this node's counts, merging theirs into
// state()); a method never waits for that round trip.
//
// Thread-safety: every method from any thread, concurrently.

#include <cstdint>
#include <optional>
#include <vector>

#include "common/clock.hpp"
#include "common/ids.hpp"

namespace parley::cluster {

struct PresenceState {
  bool online = false;
  std::optional<TimeMs> last_seen_at;
};

class PresenceService {
 public:
  virtual ~PresenceService() = default;

  // A request or event from the user: refreshes lastSeenAt.
  virtual void touch(Id user) = 0;
  // A real-time connection opened; true if the user just came online (an
  // announcement is due). A networked implementation, where "just came online"
  // is decided cluster-wide in the background, returns false and reports the
  // user through take_came_online() later instead.
  virtual bool connected(Id user) = 0;
  // A connection closed; the user goes offline when expire_offline() finds no
  // connection left after the grace period.
  virtual void disconnected(Id user) = 0;
  // Users whose last connection closed at or before `now - grace`: marks them
  // offline and returns them (the caller announces it).
  // A networked implementation may also return users whose offline was decided
  // in the background (by this node, exactly once across the cluster).
  virtual std::vector<Id> expire_offline(TimeMs grace) = 0;
  // Users who came online since the last call, for the caller to announce, when
  // that was decided in the background; LocalPresence answers in connected()
  // and returns nothing here.
  virtual std::vector<Id> take_came_online() { return {}; }
  virtual PresenceState state(Id user) const = 0;
  // Distinct users with at least one connection on this node (for /metrics).
  virtual std::int64_t connected_users() const = 0;
};

}  // namespace parley::cluster
