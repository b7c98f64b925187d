// RedisTyping against a real redis-server: two instances on one Redis are two
// nodes of a cluster.
#include <gtest/gtest.h>

#include <spdlog/spdlog.h>

#include <algorithm>

#include "cluster/redis/redis_typing.hpp"
#include "cluster/redis_test_server.hpp"

namespace parley::cluster::redis {
namespace {

using namespace std::chrono_literals;
using namespace redis_testing;

constexpr TypingKey kKey{100, 7};

class RedisTypingTest : public RedisServerTest {
 protected:

  RedisTypingOptions options() const {
    RedisTypingOptions o;
    o.endpoint = {"127.0.0.1", server_->port()};
    o.timeout = 500ms;
    o.tick = 20ms;
    o.backoff_min = 20ms;
    o.backoff_max = 100ms;
    return o;
  }

  // Calls expire() on every node for `span`, as the sweeps do; how often `key` ended.
  static int ends(std::vector<RedisTyping*> nodes, TypingKey key, std::chrono::milliseconds span) {
    int count = 0;
    const auto end = std::chrono::steady_clock::now() + span;
    while (std::chrono::steady_clock::now() < end) {
      for (auto* node : nodes) {
        const auto expired = node->expire();
        count += static_cast<int>(std::count(expired.begin(), expired.end(), key));
      }
      std::this_thread::sleep_for(10ms);
    }
    return count;
  }

  SystemClock clock_;
};

TEST_F(RedisTypingTest, ASignalExpiresOnceAcrossNodes) {
  RedisTyping a(options(), clock_), b(options(), clock_);
  a.start();
  b.start();
  ASSERT_TRUE(eventually([&] { return a.redis_connected() && b.redis_connected(); }));
  EXPECT_TRUE(a.started(kKey));
  EXPECT_FALSE(a.started(kKey)) << "a refresh is not announced";
  EXPECT_EQ(ends({&a, &b}, kKey, 1500ms), 1);
  EXPECT_EQ(a.stats().expired + b.stats().expired, 1u);
}

TEST_F(RedisTypingTest, AStopThroughAnotherNodeEndsTheSignal) {
  RedisTyping a(options(), clock_), b(options(), clock_);
  a.start();
  b.start();
  ASSERT_TRUE(eventually([&] { return a.redis_connected() && b.redis_connected(); }));
  a.started(kKey);
  std::this_thread::sleep_for(50ms);  // the START reaches Redis
  EXPECT_FALSE(b.stopped(kKey)) << "B did not know: it learns it from Redis";
  std::vector<TypingKey> at_b;
  ASSERT_TRUE(eventually([&] {
    auto e = b.expire();
    at_b.insert(at_b.end(), e.begin(), e.end());
    return !at_b.empty();
  }, 1s));
  EXPECT_EQ(at_b.front(), kKey);
  // Typing again through A is announced again, though A still had the signal:
  // Redis says it is new.
  EXPECT_FALSE(a.started(kKey));
  ASSERT_TRUE(eventually([&] {
    auto s = a.take_started();
    return std::count(s.begin(), s.end(), kKey) == 1;
  }, 1s));
  // That new signal expires once; A's copy of the first one lapsed silently.
  EXPECT_EQ(ends({&a, &b}, kKey, 1500ms), 1);
}

TEST_F(RedisTypingTest, TheSignalOfAStoppedNodeStillExpires) {
  RedisTyping b(options(), clock_);
  b.start();
  {
    RedisTyping a(options(), clock_);
    a.start();
    ASSERT_TRUE(eventually([&] { return a.redis_connected(); }));
    a.started(kKey);
    std::this_thread::sleep_for(50ms);
  }  // A is gone, like a killed node: nothing more from it
  EXPECT_EQ(ends({&b}, kKey, 1500ms), 1);
}

TEST_F(RedisTypingTest, ASignalInRedisExpiresLocallyWhileRedisIsAway) {
  RedisTyping a(options(), clock_);
  a.start();
  ASSERT_TRUE(eventually([&] { return a.redis_connected(); }));
  a.started(kKey);
  std::this_thread::sleep_for(50ms);  // the START reaches Redis
  server_->kill();
  EXPECT_EQ(ends({&a}, kKey, 1500ms), 1);
}

TEST_F(RedisTypingTest, WithoutRedisSignalsExpirePerNode) {
  auto o = options();
  o.endpoint.port = free_port();
  RedisTyping a(o, clock_);
  a.start();
  EXPECT_TRUE(a.started(kKey));
  EXPECT_TRUE(a.stopped(kKey));
  EXPECT_TRUE(a.started(kKey));
  EXPECT_EQ(ends({&a}, kKey, 1500ms), 1);
  EXPECT_GT(a.stats().dropped, 0u);
}

}  // namespace
}  // namespace parley::cluster::redis
