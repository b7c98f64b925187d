#include "store/postgres/query_watchdog.hpp"

#include <sys/socket.h>

namespace parley::store::postgres {

QueryWatchdog::Guard::~Guard() {
  if (dog_ != nullptr) dog_->disarm(id_);
}

bool QueryWatchdog::Guard::fired() const { return dog_ != nullptr && dog_->was_fired(id_); }

QueryWatchdog::QueryWatchdog() : thread_([this] { run(); }) {}

QueryWatchdog::~QueryWatchdog() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

QueryWatchdog::Guard QueryWatchdog::arm(Connection& conn, std::chrono::milliseconds timeout) {
  std::uint64_t id;
  {
    std::lock_guard lock(mu_);
    id = next_id_++;
    armed_[id] = Armed{Clock::now() + timeout, PQsocket(conn.handle()), false};
  }
  changed_.notify_all();
  return Guard(this, id);
}

void QueryWatchdog::disarm(std::uint64_t id) {
  std::lock_guard lock(mu_);
  armed_.erase(id);
  fired_.erase(id);
}

bool QueryWatchdog::was_fired(std::uint64_t id) const {
  std::lock_guard lock(mu_);
  return fired_.contains(id);
}

std::uint64_t QueryWatchdog::fired_count() const {
  std::lock_guard lock(mu_);
  return fired_count_;
}

void QueryWatchdog::run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    auto next = Clock::time_point::max();
    const auto now = Clock::now();
    for (auto it = armed_.begin(); it != armed_.end();) {
      if (it->second.deadline <= now) {
        // The socket is still open: its guard (destroyed before the
        // connection) has not disarmed it, and disarming takes mu_. Shutting
        // it down wakes the blocked libpq call, which sees the stream end.
        if (it->second.socket >= 0) ::shutdown(it->second.socket, SHUT_RDWR);
        fired_[it->first] = true;
        ++fired_count_;
        it = armed_.erase(it);
      } else {
        next = std::min(next, it->second.deadline);
        ++it;
      }
    }
    if (next == Clock::time_point::max()) {
      changed_.wait(lock);
    } else {
      changed_.wait_until(lock, next);
    }
  }
}

}  // namespace parley::store::postgres
