#include "cluster/local_bus.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

namespace parley::cluster {
namespace {

struct Recorder final : BusSubscriber {
  std::mutex mutex;
  std::vector<std::string> events;
  std::vector<std::pair<Invalidation::Cache, Id>> invalidations;
  std::thread::id last_thread;
  void on_delivery(const Delivery& d) override {
    std::lock_guard lock(mutex);
    events.push_back(d.event + ":" + *d.payload);
    last_thread = std::this_thread::get_id();
  }
  void on_invalidation(const Invalidation& i) override {
    std::lock_guard lock(mutex);
    invalidations.emplace_back(i.cache, i.id);
    last_thread = std::this_thread::get_id();
  }
};

Delivery delivery(std::string event, std::string payload) {
  Delivery d;
  d.event = std::move(event);
  d.payload = std::make_shared<const std::string>(std::move(payload));
  return d;
}

TEST(LocalBus, EverySubscriberGetsEachPublicationAtOnceOnTheCallersThread) {
  LocalBus bus;
  Recorder a, b;
  bus.subscribe(a);
  bus.subscribe(b);
  bus.publish(delivery("typing", "1"));
  bus.invalidate({Invalidation::Cache::members, 42});
  for (Recorder* r : {&a, &b}) {
    EXPECT_EQ(r->events, std::vector<std::string>{"typing:1"});
    ASSERT_EQ(r->invalidations.size(), 1u);
    EXPECT_EQ(r->invalidations[0].first, Invalidation::Cache::members);
    EXPECT_EQ(r->invalidations[0].second, 42);
    EXPECT_EQ(r->last_thread, std::this_thread::get_id());
  }
}

TEST(LocalBus, OneThreadsPublicationsArriveInOrderUnderConcurrency) {
  LocalBus bus;
  Recorder r;
  bus.subscribe(r);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&bus, t] {
      for (int i = 0; i < 500; ++i) bus.publish(delivery("t" + std::to_string(t), std::to_string(i)));
    });
  for (auto& t : threads) t.join();
  ASSERT_EQ(r.events.size(), 2000u);
  for (int t = 0; t < 4; ++t) {
    int next = 0;
    const std::string prefix = "t" + std::to_string(t) + ":";
    for (const auto& e : r.events) {
      if (e.starts_with(prefix)) {
        EXPECT_EQ(e, prefix + std::to_string(next));
        ++next;
      }
    }
    EXPECT_EQ(next, 500);
  }
}

TEST(MembersDigest, NamesTheListByValue) {
  const std::vector<Id> a{1, 2, 3};
  const std::vector<Id> same{1, 2, 3};
  EXPECT_EQ(members_digest(a), members_digest(same));
  EXPECT_NE(members_digest(a), members_digest(std::vector<Id>{1, 2}));
  EXPECT_NE(members_digest(a), members_digest(std::vector<Id>{1, 2, 4}));
  EXPECT_NE(members_digest(std::vector<Id>{}), 0u);
  EXPECT_NE(members_digest(std::vector<Id>{5}), members_digest(std::vector<Id>{5, 5}));
}

}  // namespace
}  // namespace parley::cluster
