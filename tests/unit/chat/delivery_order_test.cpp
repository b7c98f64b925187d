#include "chat/delivery_order.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "chat/views.hpp"
#include "store/faulty_store.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/store_builders.hpp"
#include "store/temp_dir.hpp"

namespace parley::chat {
namespace {

using namespace std::chrono_literals;

class Downstream final : public cluster::BusSubscriber {
 public:
  void on_delivery(const cluster::Delivery& d) override {
    std::lock_guard lock(mutex_);
    deliveries_.push_back(d);
  }
  void on_invalidation(const cluster::Invalidation& i) override {
    std::lock_guard lock(mutex_);
    invalidations_.push_back(i);
  }
  std::vector<cluster::Delivery> deliveries() {
    std::lock_guard lock(mutex_);
    return deliveries_;
  }
  std::vector<store::Seq> seqs(Id conversation) {
    std::lock_guard lock(mutex_);
    std::vector<store::Seq> out;
    for (const auto& d : deliveries_)
      if (d.conversation_id == conversation) out.push_back(d.seq);
    return out;
  }
  std::size_t invalidations() {
    std::lock_guard lock(mutex_);
    return invalidations_.size();
  }

 private:
  std::mutex mutex_;
  std::vector<cluster::Delivery> deliveries_;
  std::vector<cluster::Invalidation> invalidations_;
};

std::vector<store::Seq> range(store::Seq from, store::Seq to) {
  std::vector<store::Seq> out;
  for (store::Seq s = from; s <= to; ++s) out.push_back(s);
  return out;
}

template <class Predicate>
bool eventually(Predicate predicate, std::chrono::milliseconds limit = 3s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return predicate();
}

class DeliveryOrderTest : public ::testing::Test, protected store::testing::StoreBuilders {
 protected:
  void SetUp() override {
    store::SqliteOptions options;
    options.path = dir_.file("parley.db");
    options.synchronous_full = false;
    auto opened = store::open_sqlite_store(options);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::make_unique<store::testing::FaultyStore>(std::move(*opened));
    members_ = std::make_unique<MemberCache>(*store_);
    alice_ = add_user("alice").id;
    bob_ = add_user("bob").id;
    conversation_ = add_group(alice_, {bob_});
  }
  void TearDown() override {
    order_.reset();  // stops its jobs before the store goes
    members_.reset();
    store_.reset();
  }
  store::Store& store() override { return *store_; }

  // Quick timings; a test raises the ones it must not see fire.
  DeliveryOrderOptions quick() const {
    DeliveryOrderOptions o;
    o.gap_timeout = 40ms;
    o.position_check_interval = 10s;
    o.poll_interval = 10s;
    o.tick = 5ms;
    return o;
  }
  DeliveryOrder& make(DeliveryOrderOptions options) {
    DeliveryOrderDeps deps;
    deps.store = store_.get();
    deps.members = members_.get();
    deps.offload = [](std::function<void()> job) { job(); };  // on the timer thread
    deps.downstream = &downstream_;
    deps.bus_connected = [this] { return bus_up_.load(); };
    order_ = std::make_unique<DeliveryOrder>(std::move(deps), options);
    return *order_;
  }

  // Appends `n` messages to the store; returns them.
  std::vector<store::MessageRow> write(int n) {
    std::vector<store::MessageRow> rows;
    for (int i = 0; i < n; ++i) rows.push_back(send(conversation_, alice_, "m" + std::to_string(i)));
    return rows;
  }
  cluster::Delivery delivery(const store::MessageRow& row) {
    auto members = members_->get(conversation_);
    cluster::Delivery d;
    d.event = "new_message";
    d.payload = std::make_shared<const std::string>(message_json(row));
    d.conversation_id = row.conversation_id;
    d.seq = row.seq;
    d.user_ids = members->ids;
    d.members_digest = members->digest;
    return d;
  }

  store::testing::TempDir dir_;
  std::unique_ptr<store::testing::FaultyStore> store_;  // the real SQLite store, made to fail on command
  std::unique_ptr<MemberCache> members_;
  Downstream downstream_;
  std::atomic<bool> bus_up_{true};
  std::unique_ptr<DeliveryOrder> order_;
  Id alice_ = 0, bob_ = 0, conversation_ = 0;
};

TEST_F(DeliveryOrderTest, ShuffledAndDuplicatedDeliveriesComeOutInSeqOrderOnce) {
  auto& order = make(quick());  // not started: no repair can help
  const auto rows = write(60);
  order.on_delivery(delivery(rows[0]));  // the base
  std::vector<cluster::Delivery> rest;
  for (std::size_t i = 1; i < rows.size(); ++i) {
    rest.push_back(delivery(rows[i]));
    if (i % 3 == 0) rest.push_back(delivery(rows[i]));
  }
  rest.push_back(delivery(rows[0]));
  std::shuffle(rest.begin(), rest.end(), std::mt19937(7));
  for (const auto& d : rest) order.on_delivery(d);
  EXPECT_EQ(downstream_.seqs(conversation_), range(1, 60));
  const auto got = downstream_.deliveries();
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_EQ(*got[i].payload, message_json(rows[i]));
  EXPECT_EQ(order.stats().duplicates, 20u);
  EXPECT_EQ(order.stats().repaired, 0u);
}

TEST_F(DeliveryOrderTest, HeldGapIsRepairedFromTheStoreAfterTheTimeout) {
  auto& order = make(quick());
  const auto rows = write(20);
  order.start();
  for (const auto& row : rows)
    if (row.seq != 5 && row.seq != 11 && row.seq != 12) order.on_delivery(delivery(row));
  EXPECT_EQ(downstream_.seqs(conversation_), range(1, 4)) << "6.. wait for 5";
  ASSERT_TRUE(eventually([&] { return downstream_.seqs(conversation_).size() == 20; }));
  EXPECT_EQ(downstream_.seqs(conversation_), range(1, 20));
  EXPECT_EQ(order.stats().repaired, 3u);
  // A repaired delivery looks like the one that was lost.
  const auto got = downstream_.deliveries();
  const auto lost = delivery(rows[4]);
  EXPECT_EQ(got[4].event, "new_message");
  EXPECT_EQ(*got[4].payload, *lost.payload);
  ASSERT_NE(got[4].user_ids, nullptr);
  EXPECT_EQ(*got[4].user_ids, *lost.user_ids);
  EXPECT_EQ(got[4].members_digest, lost.members_digest);
}

TEST_F(DeliveryOrderTest, LostLastMessageIsFoundByThePositionCheck) {
  auto options = quick();
  options.position_check_interval = 150ms;
  auto& order = make(options);
  const auto rows = write(10);
  order.start();
  for (int i = 0; i < 9; ++i) order.on_delivery(delivery(rows[i]));
  std::this_thread::sleep_for(60ms);  // more than a gap timeout: no gap, nothing to repair yet
  EXPECT_EQ(downstream_.seqs(conversation_), range(1, 9));
  ASSERT_TRUE(eventually([&] { return downstream_.seqs(conversation_).size() == 10; }));
  EXPECT_EQ(downstream_.seqs(conversation_), range(1, 10));
}

TEST_F(DeliveryOrderTest, WhileTheBusIsDownTheStoreIsPolled) {
  auto options = quick();
  options.poll_interval = 30ms;
  auto& order = make(options);
  const auto first = write(1);
  order.on_delivery(delivery(first[0]));
  bus_up_.store(false);
  order.start();
  write(5);  // published nowhere
  ASSERT_TRUE(eventually([&] { return downstream_.seqs(conversation_).size() == 6; }));
  write(2);
  ASSERT_TRUE(eventually([&] { return downstream_.seqs(conversation_).size() == 8; }));
  EXPECT_EQ(downstream_.seqs(conversation_), range(1, 8));
}

TEST_F(DeliveryOrderTest, AReconnectRepairsEveryTrackedConversation) {
  auto options = quick();
  options.active_window = 1ms;  // the regular sweeps would skip it: only the reconnect reaches it
  options.position_check_interval = 20ms;
  auto& order = make(options);
  const auto first = write(1);
  order.on_delivery(delivery(first[0]));
  order.start();
  write(3);
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(downstream_.seqs(conversation_), range(1, 1));
  order.on_bus_reconnected();
  ASSERT_TRUE(eventually([&] { return downstream_.seqs(conversation_).size() == 4; }));
  EXPECT_EQ(downstream_.seqs(conversation_), range(1, 4));
}

TEST_F(DeliveryOrderTest, AHeldSeqTheStoreDoesNotHaveIsDeliveredAfterACompleteRead) {
  auto& order = make(quick());
  const auto rows = write(2);
  order.start();
  order.on_delivery(delivery(rows[0]));
  auto phantom = delivery(rows[1]);
  phantom.seq = 4;  // seq 3 exists nowhere (say its conversation lost it): 4 must not wait forever
  order.on_delivery(phantom);
  ASSERT_TRUE(eventually([&] { return downstream_.seqs(conversation_).size() == 3; }));
  EXPECT_EQ(downstream_.seqs(conversation_), (std::vector<store::Seq>{1, 2, 4}));
}

TEST_F(DeliveryOrderTest, AFailedRepairIsRetriedUntilTheStoreAnswers) {
  auto& order = make(quick());
  const auto rows = write(3);
  const auto first = delivery(rows[0]);
  const auto third = delivery(rows[2]);
  store_->fail_always(store::testing::FaultyStore::reads());
  order.start();
  order.on_delivery(first);
  order.on_delivery(third);
  ASSERT_TRUE(eventually([&] { return order.stats().repair_failures >= 2; }));
  EXPECT_EQ(downstream_.seqs(conversation_), range(1, 1)) << "nothing skipped while the store is away";
  store_->heal();
  ASSERT_TRUE(eventually([&] { return downstream_.seqs(conversation_).size() == 3; }));
  EXPECT_EQ(downstream_.seqs(conversation_), range(1, 3));
  EXPECT_EQ(order.stats().repaired, 1u);
}

TEST_F(DeliveryOrderTest, OtherEventsAndInvalidationsPassStraightThrough) {
  auto& order = make(quick());
  cluster::Delivery typing;
  typing.event = "typing";
  typing.payload = std::make_shared<const std::string>("{}");
  typing.conversation_id = conversation_;
  typing.audience = cluster::Delivery::Audience::room;
  order.on_delivery(typing);
  order.on_delivery(typing);
  order.on_invalidation({cluster::Invalidation::Cache::members, conversation_});
  EXPECT_EQ(downstream_.deliveries().size(), 2u);
  EXPECT_EQ(downstream_.invalidations(), 1u);
  EXPECT_EQ(order.stats().tracked, 0u);
}

// What a node receives from another over Redis: the member list by reference.
cluster::Delivery by_reference(cluster::Delivery d) {
  d.user_ids = nullptr;
  EXPECT_TRUE(cluster::members_by_reference(d));
  return d;
}

TEST_F(DeliveryOrderTest, AMemberListByReferenceComesFromTheCache) {
  auto& order = make(quick());  // not started: the cache alone must do
  const auto rows = write(3);
  for (const auto& row : rows) order.on_delivery(by_reference(delivery(row)));
  EXPECT_EQ(downstream_.seqs(conversation_), range(1, 3));
  const auto cached = members_->peek(conversation_);
  ASSERT_TRUE(cached);
  for (const auto& d : downstream_.deliveries()) {
    ASSERT_NE(d.user_ids, nullptr);
    EXPECT_EQ(*d.user_ids, *cached->ids);
  }
  EXPECT_EQ(order.stats().member_misses, 0u);
}

TEST_F(DeliveryOrderTest, AStaleMemberListIsReadAgainAndTheMessagesComeFromTheStore) {
  auto& order = make(quick());
  const auto before = write(2);
  order.on_delivery(delivery(before[0]));
  order.on_delivery(delivery(before[1]));  // this node caches the list {alice, bob}
  // Carol joins on another node; the invalidation never arrives here.
  const Id carol = add_user("carol").id;
  store::ConversationChange change;
  change.add.push_back({conversation_, carol, store::MemberRole::member, 0, 1});
  ASSERT_TRUE(store_->update_conversation(conversation_, change).ok());
  const auto rows = write(4);
  // The sender named the new list; what follows the first waits behind it.
  std::vector<Id> now{alice_, bob_, carol};
  std::sort(now.begin(), now.end());
  auto named = [&](const store::MessageRow& row) {
    auto d = delivery(row);  // (reads the stale cached list: replaced below)
    d.user_ids = nullptr;
    d.members_digest = cluster::members_digest(now);
    return d;
  };
  order.start();
  for (const auto& row : rows) order.on_delivery(named(row));
  ASSERT_TRUE(eventually([&] { return downstream_.seqs(conversation_).size() == 6; }));
  EXPECT_EQ(downstream_.seqs(conversation_), range(1, 6));
  const auto got = downstream_.deliveries();
  for (std::size_t i = 2; i < got.size(); ++i) {
    ASSERT_NE(got[i].user_ids, nullptr);
    EXPECT_EQ(*got[i].user_ids, now) << "delivered to the members read again, carol included";
    EXPECT_EQ(*got[i].payload, message_json(rows[i - 2]));
  }
  EXPECT_GE(order.stats().member_misses, 1u);
  auto healed = members_->peek(conversation_);
  ASSERT_TRUE(healed);
  EXPECT_EQ(*healed->ids, now) << "the stale cached list was replaced";
}

// message_updated and reaction_updated (docs/features.md) are not ordered by
// seq: one that names its message's seq must not be taken for a repeat of that
// message's new_message, nor hold back or advance the new_message order.
TEST_F(DeliveryOrderTest, AChangeEventWithItsMessagesSeqPassesThroughAndLeavesTheOrderAlone) {
  auto& order = make(quick());
  const auto rows = write(3);
  order.on_delivery(delivery(rows[0]));
  order.on_delivery(delivery(rows[1]));
  for (const char* event : {"message_updated", "reaction_updated", "message_deleted"}) {
    auto change = delivery(rows[0]);  // seq 1: below what was delivered
    change.event = event;
    order.on_delivery(change);
    auto ahead = delivery(rows[2]);  // seq 3: above, before new_message 3
    ahead.event = event;
    order.on_delivery(ahead);
  }
  order.on_delivery(delivery(rows[2]));
  std::vector<std::string> events;
  for (const auto& d : downstream_.deliveries()) events.push_back(d.event + " " + std::to_string(d.seq));
  const std::vector<std::string> expected{
      "new_message 1",      "new_message 2",       "message_updated 1", "message_updated 3",
      "reaction_updated 1", "reaction_updated 3",  "message_deleted 1", "message_deleted 3",
      "new_message 3"};
  EXPECT_EQ(events, expected);
  EXPECT_EQ(order.stats().duplicates, 0u);
}

TEST_F(DeliveryOrderTest, AChangeEventByReferenceGetsTheCachedListOrIsDroppedWhenItIsStale) {
  auto& order = make(quick());
  const auto rows = write(1);
  auto change = delivery(rows[0]);  // loads the cache
  change.event = "reaction_updated";
  order.on_delivery(by_reference(change));
  auto got = downstream_.deliveries();
  ASSERT_EQ(got.size(), 1u);
  ASSERT_NE(got[0].user_ids, nullptr);
  EXPECT_EQ(*got[0].user_ids, *members_->peek(conversation_)->ids);

  // Named by a list this node does not have: not delivered to a wrong list.
  change.members_digest ^= 1;
  order.on_delivery(by_reference(change));
  EXPECT_EQ(downstream_.deliveries().size(), 1u);
  EXPECT_EQ(order.stats().member_misses, 1u);
  EXPECT_FALSE(members_->peek(conversation_)) << "the stale list was voided";
}

TEST_F(DeliveryOrderTest, AConversationFirstSeenWithoutItsListStartsAtThatMessage) {
  auto& order = make(quick());
  const auto rows = write(5);
  auto first = by_reference(delivery(rows[2]));
  members_->invalidate(conversation_);  // nothing cached on this node
  order.start();
  order.on_delivery(first);
  order.on_delivery(by_reference(delivery(rows[3])));  // reloads the list: now cached
  order.on_delivery(by_reference(delivery(rows[4])));
  ASSERT_TRUE(eventually([&] { return downstream_.seqs(conversation_).size() == 3; }));
  EXPECT_EQ(downstream_.seqs(conversation_), range(3, 5)) << "nothing older than the first one seen";
}

TEST_F(DeliveryOrderTest, ALowerSeqFromAnotherNodeArrivingJustAfterTheFirstOneSeenIsNotLost) {
  // Seq 1 sent through one node, seq 2 through another: Redis hands this node
  // seq 2 first. Found by the cluster suite (kill -9 test), where seq 1 was
  // dropped as old.
  auto& order = make(quick());
  const auto rows = write(2);
  order.start();
  order.on_delivery(delivery(rows[1]));
  std::this_thread::sleep_for(10ms);
  EXPECT_TRUE(downstream_.seqs(conversation_).empty()) << "settling: nothing yet";
  order.on_delivery(delivery(rows[0]));
  ASSERT_TRUE(eventually([&] { return downstream_.seqs(conversation_).size() == 2; }));
  EXPECT_EQ(downstream_.seqs(conversation_), range(1, 2));
  EXPECT_EQ(order.stats().duplicates, 0u);
}

TEST_F(DeliveryOrderTest, AConversationFirstSeenMidwayStartsAtTheLowestSeqSeenWhileSettling) {
  auto& order = make(quick());
  const auto rows = write(6);
  order.start();
  order.on_delivery(delivery(rows[4]));
  order.on_delivery(delivery(rows[3]));
  order.on_delivery(delivery(rows[5]));
  ASSERT_TRUE(eventually([&] { return downstream_.seqs(conversation_).size() == 3; }));
  std::this_thread::sleep_for(100ms);  // more than a gap timeout: nothing older is read
  EXPECT_EQ(downstream_.seqs(conversation_), range(4, 6));
  EXPECT_EQ(order.stats().repaired, 0u);
}

TEST_F(DeliveryOrderTest, StateIsBounded) {
  auto options = quick();
  options.max_conversations = 32;  // 2 per shard
  options.max_held = 4;
  auto& order = make(options);
  cluster::Delivery d;
  d.event = "new_message";
  d.payload = std::make_shared<const std::string>("{}");
  for (Id conversation = 1000; conversation < 1200; ++conversation) {
    d.conversation_id = conversation;
    d.seq = 1;
    order.on_delivery(d);
  }
  EXPECT_LE(order.stats().tracked, 32u);
  EXPECT_EQ(order.stats().delivered, 200u);  // a new conversation evicts an idle one
  d.conversation_id = 1199;
  for (store::Seq seq = 3; seq <= 10; ++seq) {
    d.seq = seq;
    order.on_delivery(d);
  }
  EXPECT_EQ(order.stats().overflow, 4u);
}

}  // namespace
}  // namespace parley::chat
