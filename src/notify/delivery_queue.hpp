#pragma once
// The notifications waiting for the webhook: new ones and those waiting for a
// retry, in one bounded queue. The bound counts every waiting notification;
// at the bound, the oldest (first queued) is dropped to make room, so a
// receiver that is down for long loses the stale notifications, not the
// fresh ones. The next to post is the one due first (ties: the oldest), so a
// notification waiting for its retry never holds up the new ones behind it.
//
// Thread-safety: none; WebhookSender guards it with its mutex.
// Ownership: owns the waiting deliveries (values).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

namespace parley::notify {

struct Delivery {
  std::string id;    // X-Parley-Delivery: the same on every attempt
  std::string body;  // the JSON, signed again (with a fresh timestamp) on every attempt
  int attempts = 0;  // attempts made so far
  std::chrono::steady_clock::time_point due{};
  std::uint64_t order = 0;  // assigned by the queue: its age among the waiting
};

class DeliveryQueue {
 public:
  // REQUIRES: limit >= 1.
  explicit DeliveryQueue(std::size_t limit) : limit_(limit) {}

  // Queues a new delivery; returns how many older ones were dropped (0 or 1).
  std::size_t push(Delivery delivery);
  // Puts back a delivery taken by take_due() (a retry), in its original age
  // order; returns how many were dropped to make room (0 or 1; the dropped
  // one may be this delivery itself when it is the oldest).
  std::size_t requeue(Delivery delivery);
  // The delivery due first if it is due at `now`, removed from the queue.
  std::optional<Delivery> take_due(std::chrono::steady_clock::time_point now);
  // When the next delivery is due; nothing when the queue is empty.
  std::optional<std::chrono::steady_clock::time_point> next_due() const;
  // Removes everything; returns how many were waiting.
  std::size_t clear();

  std::size_t size() const { return by_order_.size(); }
  std::size_t limit() const { return limit_; }

 private:
  std::size_t insert(Delivery delivery);

  std::size_t limit_;
  std::uint64_t next_order_ = 0;
  std::map<std::uint64_t, Delivery> by_order_;  // oldest first
  std::set<std::pair<std::chrono::steady_clock::time_point, std::uint64_t>> by_due_;
};

}  // namespace parley::notify
