// RedisBus against a real redis-server, started by the fixture on a free
// loopback port (skipped when the binary is not installed).
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "cluster/redis/redis_bus.hpp"
#include "cluster/redis_test_server.hpp"

namespace parley::cluster::redis {
namespace {

using namespace std::chrono_literals;
using namespace redis_testing;

class Recorder final : public BusSubscriber {
 public:
  void on_delivery(const Delivery& d) override {
    std::lock_guard lock(mutex_);
    deliveries_.push_back(d);
  }
  void on_invalidation(const Invalidation& i) override {
    std::lock_guard lock(mutex_);
    invalidations_.push_back(i);
  }
  std::vector<Delivery> deliveries() {
    std::lock_guard lock(mutex_);
    return deliveries_;
  }
  std::vector<Invalidation> invalidations() {
    std::lock_guard lock(mutex_);
    return invalidations_;
  }

 private:
  std::mutex mutex_;
  std::vector<Delivery> deliveries_;
  std::vector<Invalidation> invalidations_;
};

Delivery message(Id conversation, std::int64_t seq) {
  Delivery d;
  d.event = "new_message";
  d.payload = std::make_shared<const std::string>("{\"seq\":" + std::to_string(seq) + "}");
  d.conversation_id = conversation;
  d.seq = seq;
  d.user_ids = std::make_shared<const std::vector<Id>>(std::vector<Id>{1, 2});
  return d;
}

class RedisBusTest : public RedisServerTest {
 protected:

  RedisBusOptions options() const {
    RedisBusOptions o;
    o.endpoint = {"127.0.0.1", server_->port()};
    o.connect_timeout = 200ms;
    o.command_timeout = 300ms;
    o.ping_interval = 200ms;
    o.backoff_min = 20ms;
    o.backoff_max = 100ms;
    return o;
  }

};

TEST_F(RedisBusTest, TwoNodesExchangeDeliveriesAndInvalidationsInOrder) {
  RedisBus a(options()), b(options());
  Recorder at_a, at_b;
  a.subscribe(at_a);
  b.subscribe(at_b);
  a.start();
  b.start();
  ASSERT_TRUE(eventually([&] { return a.connected() && b.connected(); }));

  for (int seq = 1; seq <= 200; ++seq) a.publish(message(10 + seq % 3, seq));
  a.invalidate({Invalidation::Cache::members, 11});
  Delivery status;
  status.event = "user_status";
  status.payload = std::make_shared<const std::string>("{}");
  b.publish(status);

  ASSERT_TRUE(eventually([&] { return at_b.deliveries().size() == 201 && at_b.invalidations().size() == 1; }));
  ASSERT_TRUE(eventually([&] { return at_a.deliveries().size() == 201; }));
  // A: its own 200 at once (locally, never twice), then B's status from Redis.
  const auto at_a_all = at_a.deliveries();
  EXPECT_EQ(at_a_all.back().event, "user_status");
  EXPECT_EQ(at_a.invalidations().size(), 1u);
  // B: every delivery of a conversation in publish order, fields intact.
  std::map<Id, std::int64_t> last;
  for (const auto& d : at_b.deliveries()) {
    if (d.event == "user_status") continue;
    EXPECT_GT(d.seq, last[d.conversation_id]);
    last[d.conversation_id] = d.seq;
    EXPECT_EQ(*d.payload, "{\"seq\":" + std::to_string(d.seq) + "}");
    ASSERT_NE(d.user_ids, nullptr);
    EXPECT_EQ(d.user_ids->size(), 2u);
  }
  EXPECT_EQ(at_b.invalidations()[0].cache, Invalidation::Cache::members);
  EXPECT_EQ(at_b.invalidations()[0].id, 11);
  // B published one delivery and got its own only once: at publish time.
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(at_b.deliveries().size(), 201u);
  EXPECT_TRUE(eventually([&] { return a.stats().published == 201; }));
  EXPECT_EQ(b.stats().received, 201u);
  EXPECT_EQ(a.stats().dropped, 0u);
  EXPECT_GT(a.stats().rtt_seconds, 0.0);
}

TEST_F(RedisBusTest, RestartOfRedisNeverBlocksPublishAndDeliveryResumes) {
  RedisBus a(options()), b(options());
  Recorder at_a, at_b;
  a.subscribe(at_a);
  b.subscribe(at_b);
  std::atomic<int> b_subscriptions{0};
  b.set_reconnect_listener([&] { b_subscriptions.fetch_add(1); });
  a.start();
  b.start();
  ASSERT_TRUE(eventually([&] { return a.connected() && b.connected(); }));
  EXPECT_EQ(b_subscriptions.load(), 1);

  server_->kill();
  ASSERT_TRUE(eventually([&] { return !a.connected() && !b.connected(); }));
  const auto before = std::chrono::steady_clock::now();
  for (int seq = 1; seq <= 1000; ++seq) a.publish(message(1, seq));
  EXPECT_LT(std::chrono::steady_clock::now() - before, 200ms) << "publish waited on Redis";
  EXPECT_EQ(at_a.deliveries().size(), 1000u) << "local subscribers get everything at once";
  // Queued before the publisher noticed the loss, or refused after: dropped either way.
  EXPECT_TRUE(eventually([&] { return a.stats().dropped >= 1000u; }));

  ASSERT_TRUE(server_->start());
  ASSERT_TRUE(eventually([&] { return a.connected() && b.connected(); }));
  EXPECT_TRUE(eventually([&] { return b_subscriptions.load() == 2; }));
  EXPECT_GE(b.stats().reconnects, 1u);
  a.publish(message(1, 1001));
  ASSERT_TRUE(eventually([&] { return !at_b.deliveries().empty(); }));
  EXPECT_EQ(at_b.deliveries().back().seq, 1001);
}

TEST_F(RedisBusTest, StalledRedisIsNoticedAndReplaced) {
  RedisBus a(options()), b(options());
  Recorder at_b;
  b.subscribe(at_b);
  std::atomic<int> b_subscriptions{0};
  b.set_reconnect_listener([&] { b_subscriptions.fetch_add(1); });
  a.start();
  b.start();
  ASSERT_TRUE(eventually([&] { return a.connected() && b.connected(); }));
  server_->pause();
  // Within a ping interval plus a command timeout, both connections give up.
  ASSERT_TRUE(eventually([&] { return !b.connected(); }, 3s));
  const auto before = std::chrono::steady_clock::now();
  for (int seq = 1; seq <= 100; ++seq) a.publish(message(2, seq));
  EXPECT_LT(std::chrono::steady_clock::now() - before, 200ms);
  server_->resume();
  ASSERT_TRUE(eventually([&] { return a.connected() && b.connected() && b_subscriptions.load() >= 2; }));
  a.publish(message(2, 101));
  ASSERT_TRUE(eventually([&] {
    auto got = at_b.deliveries();
    return !got.empty() && got.back().seq == 101;
  }));
}

TEST_F(RedisBusTest, MalformedMessagesAreCountedAndDropped) {
  RedisBus a(options()), b(options());
  Recorder at_b;
  b.subscribe(at_b);
  b.start();
  ASSERT_TRUE(eventually([&] { return b.connected(); }));
  // Another client publishes junk on the bus's channels (inline commands over a raw socket).
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(server_->port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  const std::string command = "PUBLISH parley:d:1 {not-json\r\nPUBLISH parley:i [1]\r\n";
  ASSERT_EQ(write(fd, command.data(), command.size()), static_cast<ssize_t>(command.size()));
  EXPECT_TRUE(eventually([&] { return b.stats().malformed == 2; }));
  close(fd);
  a.start();
  ASSERT_TRUE(eventually([&] { return a.connected(); }));
  a.invalidate({Invalidation::Cache::user, 5});
  EXPECT_TRUE(eventually([&] { return at_b.invalidations().size() == 1; }));
  EXPECT_TRUE(at_b.deliveries().empty());
}

}  // namespace
}  // namespace parley::cluster::redis
