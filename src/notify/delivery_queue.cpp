#include "notify/delivery_queue.hpp"

namespace parley::notify {

std::size_t DeliveryQueue::push(Delivery delivery) {
  delivery.order = next_order_++;
  return insert(std::move(delivery));
}

std::size_t DeliveryQueue::requeue(Delivery delivery) { return insert(std::move(delivery)); }

std::size_t DeliveryQueue::insert(Delivery delivery) {
  const auto order = delivery.order;
  by_due_.emplace(delivery.due, order);
  by_order_.emplace(order, std::move(delivery));
  if (by_order_.size() <= limit_) return 0;
  auto oldest = by_order_.begin();
  by_due_.erase({oldest->second.due, oldest->first});
  by_order_.erase(oldest);
  return 1;
}

std::optional<Delivery> DeliveryQueue::take_due(std::chrono::steady_clock::time_point now) {
  if (by_due_.empty() || by_due_.begin()->first > now) return std::nullopt;
  auto order = by_due_.begin()->second;
  by_due_.erase(by_due_.begin());
  auto node = by_order_.extract(order);
  return std::move(node.mapped());
}

std::optional<std::chrono::steady_clock::time_point> DeliveryQueue::next_due() const {
  if (by_due_.empty()) return std::nullopt;
  return by_due_.begin()->first;
}

std::size_t DeliveryQueue::clear() {
  const auto n = by_order_.size();
  by_order_.clear();
  by_due_.clear();
  return n;
}

}  // namespace parley::notify
