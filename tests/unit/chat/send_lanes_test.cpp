#include "chat/send_lanes.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

namespace parley::chat {
namespace {

TEST(SendLanes, SubmitsInArrivalOrderWhateverOrderTheyAreReady) {
  SendLanes lanes;
  std::vector<int> order;
  std::vector<SendLanes::Place> places;
  for (int i = 0; i < 4; ++i) places.push_back(lanes.enter(7));
  lanes.pass(7, places[2], [&] { order.push_back(2); });
  lanes.pass(7, places[1], [&] { order.push_back(1); });
  EXPECT_TRUE(order.empty()) << "the first place is not ready yet";
  lanes.pass(7, places[0], [&] { order.push_back(0); });
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2}));
  lanes.pass(7, places[3], [&] { order.push_back(3); });
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(lanes.busy(), 0u) << "an empty lane is forgotten";
}

TEST(SendLanes, ARefusedSendLeavesItsPlace) {
  SendLanes lanes;
  std::vector<int> order;
  auto a = lanes.enter(1);
  auto b = lanes.enter(1);
  lanes.pass(1, b, [&] { order.push_back(1); });
  lanes.pass(1, a, {});
  EXPECT_EQ(order, (std::vector<int>{1}));
  EXPECT_EQ(lanes.busy(), 0u);
}

TEST(SendLanes, ConversationsDoNotWaitForEachOther) {
  SendLanes lanes;
  std::vector<Id> order;
  auto slow = lanes.enter(1);
  auto fast = lanes.enter(2);
  lanes.pass(2, fast, [&] { order.push_back(2); });
  EXPECT_EQ(order, (std::vector<Id>{2}));
  EXPECT_EQ(lanes.busy(), 1u);
  lanes.pass(1, slow, [&] { order.push_back(1); });
  EXPECT_EQ(order, (std::vector<Id>{2, 1}));
}

TEST(SendLanes, ASubmitMayEnterTheSameLane) {
  // A submission runs outside the lock: it may start another send of the same
  // conversation (a completion that triggers the next send) without deadlock.
  SendLanes lanes;
  std::vector<int> order;
  auto first = lanes.enter(3);
  lanes.pass(3, first, [&] {
    order.push_back(0);
    auto next = lanes.enter(3);
    lanes.pass(3, next, [&] { order.push_back(1); });
  });
  EXPECT_EQ(order, (std::vector<int>{0, 1}));
  EXPECT_EQ(lanes.busy(), 0u);
}

TEST(SendLanes, ManyThreadsPassingShuffledPlacesKeepTheOrder) {
  // Places are taken in order on one thread (as a socket's events are read),
  // then passed from 6 threads in a shuffled order.
  SendLanes lanes;
  constexpr int kConversations = 5;
  constexpr int kSends = 2000;
  std::vector<std::pair<Id, SendLanes::Place>> places;
  for (int i = 0; i < kSends; ++i) {
    const Id c = 1 + i % kConversations;
    places.emplace_back(c, lanes.enter(c));
  }
  std::mt19937 rng(42);
  std::vector<int> shuffled(kSends);
  for (int i = 0; i < kSends; ++i) shuffled[i] = i;
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  std::mutex mutex;
  std::vector<std::vector<int>> submitted(kConversations + 1);
  std::atomic<int> next{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&] {
      for (int k; (k = next.fetch_add(1)) < kSends;) {
        const int i = shuffled[k];
        const auto [c, place] = places[i];
        lanes.pass(c, place, [&, c = c, i] {
          std::lock_guard lock(mutex);
          submitted[c].push_back(i);
        });
      }
    });
  }
  for (auto& t : threads) t.join();
  for (Id c = 1; c <= kConversations; ++c) {
    ASSERT_EQ(submitted[c].size(), static_cast<std::size_t>(kSends / kConversations));
    EXPECT_TRUE(std::is_sorted(submitted[c].begin(), submitted[c].end())) << "conversation " << c;
  }
  EXPECT_EQ(lanes.busy(), 0u);
}

}  // namespace
}  // namespace parley::chat
