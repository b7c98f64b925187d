#include "cluster/local_bus.hpp"

namespace parley::cluster {

void LocalBus::publish(Delivery delivery) {
  for (auto* subscriber : subscribers_) subscriber->on_delivery(delivery);
}

void LocalBus::invalidate(Invalidation invalidation) {
  for (auto* subscriber : subscribers_) subscriber->on_invalidation(invalidation);
}

void LocalBus::subscribe(BusSubscriber& subscriber) { subscribers_.push_back(&subscriber); }

}  // namespace parley::cluster
