#pragma once
// A hashed timer wheel: one per IO thread instead of one timer per connection. Heartbeats
// and timeouts of thousands of sessions cost one OS timer per thread.
//
// Deadlines are rounded DOWN to the wheel's tick, so a timer fires up to one tick early
// and never late (beyond the thread's own latency): a ping timeout of 200 ms with a 10 ms
// tick closes the session between 190 and 200 ms after the ping. Deadlines further than one
// revolution away stay in their slot and are skipped until due.
//
// Thread-safety: none; a wheel and its nodes belong to one thread. Time is passed in by
// the caller (advance(now)), so tests drive it without a clock.
// Ownership: the wheel does not own nodes; a node unlinks itself when destroyed, so a
// scheduled node must be destroyed on its wheel's thread (the unlink writes the wheel).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace parley::realtime {

class TimerWheel;

// Intrusive doubly linked list link (the slots are sentinels).
struct TimerLink {
  TimerLink* prev = nullptr;
  TimerLink* next = nullptr;
};

class TimerNode : private TimerLink {
 public:
  TimerNode() = default;
  TimerNode(const TimerNode&) = delete;
  TimerNode& operator=(const TimerNode&) = delete;

  bool timer_scheduled() const noexcept { return next != nullptr; }
  // Unschedules the node; no-op when it is not scheduled.
  void cancel_timer() noexcept;

  // Called by TimerWheel::advance once the deadline is reached; the node is no longer
  // scheduled then and may schedule itself again.
  virtual void on_timer() = 0;

 protected:
  ~TimerNode() { cancel_timer(); }

 private:
  friend class TimerWheel;
  TimerWheel* wheel_ = nullptr;
  std::uint64_t tick_ = 0;
};

class TimerWheel {
 public:
  using Clock = std::chrono::steady_clock;

  TimerWheel(Clock::duration tick, Clock::time_point origin, std::size_t slots = 512);
  TimerWheel(const TimerWheel&) = delete;
  TimerWheel& operator=(const TimerWheel&) = delete;
  ~TimerWheel();

  // (Re)schedules `node` to fire at `deadline` (rounded down to a tick, and at the earliest
  // at the next tick).
  void schedule(TimerNode& node, Clock::time_point deadline);

  // Fires every node whose deadline is at or before `now`. Callbacks may schedule and cancel
  // any node. Returns the number fired.
  std::size_t advance(Clock::time_point now);

  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  Clock::duration tick() const noexcept { return tick_; }
  // When the next tick starts (for arming the thread's OS timer).
  Clock::time_point next_tick_time() const noexcept { return origin_ + tick_ * static_cast<long>(current_ + 1); }

 private:
  friend class TimerNode;
  void unlink(TimerNode& node) noexcept;
  void link(TimerLink& list, TimerNode& node) noexcept;
  std::uint64_t tick_of(Clock::time_point t) const noexcept;

  Clock::duration tick_;
  Clock::time_point origin_;
  std::vector<TimerLink> slots_;  // sentinels of circular lists
  std::uint64_t current_ = 0;     // last tick processed
  std::size_t size_ = 0;
};

}  // namespace parley::realtime
