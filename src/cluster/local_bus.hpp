#pragma once
// The bus of a single process: publish() and invalidate() call every
// subscriber at once, on the caller's thread, in subscription order. So an
// invalidation has reached every cache when invalidate() returns, and the
// deliveries of one thread reach a subscriber in the order they were made.
//
// Thread-safety: as Bus (bus.hpp). The subscriber list is fixed after start-up,
// so publishing takes no lock. Ownership: borrows its subscribers.

#include <vector>

#include "cluster/bus.hpp"

namespace parley::cluster {

class LocalBus final : public Bus {
 public:
  void publish(Delivery delivery) override;
  void invalidate(Invalidation invalidation) override;
  void subscribe(BusSubscriber& subscriber) override;

 private:
  std::vector<BusSubscriber*> subscribers_;  // written only before the first publish
};

}  // namespace parley::cluster
