#include "cluster/local_presence.hpp"

namespace parley::cluster {

LocalPresence::LocalPresence(const Clock& clock) : clock_(clock) {}

void LocalPresence::touch(Id user) {
  const TimeMs now = clock_.now_ms();
  std::lock_guard lock(mutex_);
  users_[user].last_seen_at = now;
}

bool LocalPresence::connected(Id user) {
  const TimeMs now = clock_.now_ms();
  std::lock_guard lock(mutex_);
  auto& entry = users_[user];
  entry.last_seen_at = now;
  if (entry.connections++ == 0) connected_users_.fetch_add(1, std::memory_order_relaxed);
  const bool came_online = !entry.online;
  entry.online = true;
  return came_online;
}

void LocalPresence::disconnected(Id user) {
  const TimeMs now = clock_.now_ms();
  std::lock_guard lock(mutex_);
  auto it = users_.find(user);
  if (it == users_.end() || it->second.connections == 0) return;
  it->second.last_seen_at = now;
  if (--it->second.connections == 0) {
    connected_users_.fetch_sub(1, std::memory_order_relaxed);
    it->second.offline_since = now;
    dropped_.emplace_back(now, user);
  }
}

std::vector<Id> LocalPresence::expire_offline(TimeMs grace) {
  const TimeMs now = clock_.now_ms();
  std::vector<Id> gone;
  std::lock_guard lock(mutex_);
  // The clock may step back; then places wait until it passes them again.
  while (!dropped_.empty() && dropped_.front().first + grace <= now) {
    const auto [since, user] = dropped_.front();
    dropped_.pop_front();
    auto it = users_.find(user);
    if (it == users_.end()) continue;
    Entry& entry = it->second;
    if (entry.online && entry.connections == 0 && entry.offline_since == since) {
      entry.online = false;
      gone.push_back(user);
    }
  }
  return gone;
}

PresenceState LocalPresence::state(Id user) const {
  std::lock_guard lock(mutex_);
  auto it = users_.find(user);
  if (it == users_.end()) return {};
  return {it->second.online, it->second.last_seen_at};
}

}  // namespace parley::cluster
