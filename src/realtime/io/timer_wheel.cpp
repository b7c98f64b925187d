#include "realtime/io/timer_wheel.hpp"

#include <algorithm>
#include <cassert>

namespace parley::realtime {

void TimerNode::cancel_timer() noexcept {
  if (wheel_ != nullptr) wheel_->unlink(*this);
}

TimerWheel::TimerWheel(Clock::duration tick, Clock::time_point origin, std::size_t slots)
    : tick_(tick), origin_(origin), slots_(std::max<std::size_t>(slots, 1)) {
  assert(tick > Clock::duration::zero());
  for (auto& slot : slots_) slot.prev = slot.next = &slot;
}

TimerWheel::~TimerWheel() {
  for (auto& slot : slots_) {
    while (slot.next != &slot) unlink(*static_cast<TimerNode*>(slot.next));
  }
}

std::uint64_t TimerWheel::tick_of(Clock::time_point t) const noexcept {
  if (t <= origin_) return 0;
  return static_cast<std::uint64_t>((t - origin_) / tick_);
}

void TimerWheel::link(TimerLink& list, TimerNode& node) noexcept {
  TimerLink& link = node;
  link.prev = list.prev;
  link.next = &list;
  list.prev->next = &link;
  list.prev = &link;
}

void TimerWheel::unlink(TimerNode& node) noexcept {
  TimerLink& link = node;
  link.prev->next = link.next;
  link.next->prev = link.prev;
  link.prev = link.next = nullptr;
  node.wheel_ = nullptr;
  --size_;
}

void TimerWheel::schedule(TimerNode& node, Clock::time_point deadline) {
  node.cancel_timer();
  node.tick_ = std::max(tick_of(deadline), current_ + 1);
  node.wheel_ = this;
  ++size_;
  link(slots_[node.tick_ % slots_.size()], node);
}

std::size_t TimerWheel::advance(Clock::time_point now) {
  const std::uint64_t target = tick_of(now);
  if (target <= current_) return 0;
  // After a long stall, visiting every slot once is enough: the due test below is against
  // `target`, not the slot's own tick.
  if (target - current_ > slots_.size()) current_ = target - slots_.size();
  std::size_t fired = 0;
  while (current_ < target) {
    ++current_;  // before the callbacks: a node they schedule lands in a later slot
    TimerLink& slot = slots_[current_ % slots_.size()];
    if (slot.next == &slot) continue;
    // Move the slot's nodes to a private list, then take them one by one: a callback may
    // cancel or reschedule any node, including ones still in the private list.
    TimerLink pending;
    pending.next = slot.next;
    pending.prev = slot.prev;
    pending.next->prev = &pending;
    pending.prev->next = &pending;
    slot.prev = slot.next = &slot;
    while (pending.next != &pending) {
      auto& node = *static_cast<TimerNode*>(pending.next);
      if (node.tick_ > target) {
        TimerLink& node_link = node;
        pending.next = node_link.next;
        node_link.next->prev = &pending;
        link(slot, node);
        continue;
      }
      unlink(node);
      ++fired;
      node.on_timer();
    }
  }
  return fired;
}

}  // namespace parley::realtime
