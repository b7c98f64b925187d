#include "store/postgres/connection_pool.hpp"

#include <algorithm>

namespace parley::store::postgres {

namespace {
constexpr std::chrono::milliseconds min_backoff{50};
constexpr std::chrono::milliseconds max_backoff{2000};
}  // namespace

ConnectionPool::Lease::~Lease() {
  if (pool_ != nullptr) pool_->give_back(slot_, std::move(conn_));
}

ConnectionPool::ConnectionPool(std::string conninfo, int size, int acquire_timeout_ms, int connect_timeout_s,
                               std::unique_ptr<Connection> first)
    : conninfo_(std::move(conninfo)),
      acquire_timeout_(std::max(1, acquire_timeout_ms)),
      connect_timeout_s_(connect_timeout_s),
      slots_(static_cast<std::size_t>(std::max(1, size))) {
  slots_[0].conn = std::move(first);
}

int ConnectionPool::take_free_slot() {
  // A free slot with a live connection first; else any free slot (to reconnect).
  int fallback = -1;
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    Slot& s = slots_[i];
    if (s.busy) continue;
    if (s.conn && !s.conn->broken()) {
      s.busy = true;
      return static_cast<int>(i);
    }
    if (fallback < 0 || s.next_attempt < slots_[static_cast<std::size_t>(fallback)].next_attempt) {
      fallback = static_cast<int>(i);
    }
  }
  if (fallback >= 0) slots_[static_cast<std::size_t>(fallback)].busy = true;
  return fallback;
}

Result<ConnectionPool::Lease> ConnectionPool::acquire() {
  std::unique_lock lock(mu_);
  int slot = -1;
  freed_.wait_for(lock, acquire_timeout_, [&] { return (slot = take_free_slot()) >= 0; });
  if (slot < 0) return Error::unavailable(describe_target(conninfo_) + ": every connection is busy");
  Slot& s = slots_[static_cast<std::size_t>(slot)];
  std::unique_ptr<Connection> conn = std::move(s.conn);
  if (conn && conn->probe()) return Lease(this, slot, std::move(conn));
  if (Clock::now() < std::max(s.next_attempt, next_attempt_)) {
    s.busy = false;
    freed_.notify_one();
    return Error::unavailable(describe_target(conninfo_) + ": connection lost; reconnecting");
  }
  lock.unlock();
  conn.reset();  // close the broken one outside the lock
  auto fresh = Connection::connect(conninfo_, connect_timeout_s_);
  lock.lock();
  if (!fresh) {
    s.backoff = std::clamp(s.backoff * 2, min_backoff, max_backoff);
    s.next_attempt = Clock::now() + s.backoff;
    // The server is away for every slot: their callers fail fast too rather
    // than each waiting out a connect attempt.
    next_attempt_ = s.next_attempt;
    s.busy = false;
    freed_.notify_one();
    return fresh.error();
  }
  s.backoff = std::chrono::milliseconds{0};
  return Lease(this, slot, std::move(*fresh));
}

void ConnectionPool::give_back(int slot, std::unique_ptr<Connection> conn) {
  {
    std::lock_guard lock(mu_);
    Slot& s = slots_[static_cast<std::size_t>(slot)];
    s.conn = std::move(conn);
    s.busy = false;
  }
  freed_.notify_one();
}

}  // namespace parley::store::postgres
