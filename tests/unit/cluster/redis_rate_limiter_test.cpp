// RedisRateLimiter against a real redis-server: two limiters on one Redis are
// the same limit on two nodes.
#include <gtest/gtest.h>

#include <spdlog/spdlog.h>

#include <atomic>
#include <future>

#include "cluster/redis/redis_rate_limiter.hpp"
#include "cluster/redis_test_server.hpp"

namespace parley::cluster::redis {
namespace {

using namespace std::chrono_literals;
using namespace redis_testing;

RateDecision decide(RateLimiter& limiter, Id key) {
  std::promise<RateDecision> promise;
  auto future = promise.get_future();
  limiter.acquire(key, [&promise](RateDecision d) { promise.set_value(d); });
  return future.get();
}

class RedisRateLimiterTest : public RedisServerTest {
 protected:

  RedisRateLimiterOptions options(int burst = 10, double per_second = 0.01) const {
    RedisRateLimiterOptions o;
    o.endpoint = {"127.0.0.1", server_->port()};
    o.name = "send";
    o.burst = burst;
    o.per_second = per_second;  // slow: no refill during a test
    o.backoff_min = 20ms;
    o.backoff_max = 100ms;
    return o;
  }

  SystemClock clock_;
};

TEST_F(RedisRateLimiterTest, TwoNodesShareOneBucketPerKey) {
  RedisRateLimiter a(options(), clock_), b(options(), clock_);
  a.start();
  b.start();
  ASSERT_TRUE(eventually([&] { return a.connected() && b.connected(); }));
  int allowed = 0;
  RateDecision last_refusal;
  for (int i = 0; i < 30; ++i) {
    const auto d = decide(i % 2 == 0 ? a : b, 42);
    if (d.allowed) ++allowed;
    else last_refusal = d;
  }
  EXPECT_EQ(allowed, 10) << "one burst for the cluster, not one per node";
  EXPECT_FALSE(last_refusal.allowed);
  EXPECT_GT(last_refusal.retry_after_ms, 0);
  EXPECT_TRUE(decide(a, 43).allowed) << "another key has its own bucket";
  EXPECT_EQ(a.stats().decided + b.stats().decided, 31u);
  EXPECT_EQ(a.stats().fallbacks + b.stats().fallbacks, 0u);
}

TEST_F(RedisRateLimiterTest, ManyConcurrentRequestsAreEachAnsweredOnce) {
  RedisRateLimiter a(options(50), clock_), b(options(50), clock_);
  a.start();
  b.start();
  ASSERT_TRUE(eventually([&] { return a.connected() && b.connected(); }));
  std::atomic<int> answered{0}, allowed{0};
  std::vector<std::thread> senders;
  for (int t = 0; t < 4; ++t) {
    senders.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i)
        (t % 2 == 0 ? a : b).acquire(7, [&](RateDecision d) {
          ++answered;
          if (d.allowed) ++allowed;
        });
    });
  }
  for (auto& s : senders) s.join();
  ASSERT_TRUE(eventually([&] { return answered.load() == 200; }));
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(answered.load(), 200);
  EXPECT_EQ(allowed.load(), 50);
}

TEST_F(RedisRateLimiterTest, WithoutRedisEachNodeDecidesAloneAtOnce) {
  auto o = options(3);
  o.endpoint.port = free_port();  // nobody listens there
  RedisRateLimiter a(o, clock_);
  a.start();
  int allowed = 0;
  for (int i = 0; i < 5; ++i) {
    bool answered = false;
    a.acquire(1, [&](RateDecision d) {
      answered = true;
      if (d.allowed) ++allowed;
    });
    EXPECT_TRUE(answered) << "the fallback answers before acquire() returns";
  }
  EXPECT_EQ(allowed, 3);
  EXPECT_EQ(a.stats().fallbacks, 5u);
  EXPECT_FALSE(a.connected());
}

TEST_F(RedisRateLimiterTest, AStalledRedisFallsBackAndARestartedOneIsUsedAgain) {
  RedisRateLimiter a(options(3), clock_);
  a.start();
  ASSERT_TRUE(eventually([&] { return a.connected(); }));
  EXPECT_TRUE(decide(a, 5).allowed);

  server_->pause();  // answers nothing: the command timeout decides
  const auto stalled = decide(a, 5);
  EXPECT_TRUE(stalled.allowed) << "the local bucket of key 5 is still full";
  EXPECT_GE(a.stats().fallbacks, 1u);
  EXPECT_FALSE(a.connected());
  server_->resume();

  server_->kill();
  ASSERT_TRUE(server_->start());  // empty: the script must be loaded again
  ASSERT_TRUE(eventually([&] { return a.connected(); }));
  const auto decided_before = a.stats().decided;
  int allowed = 0;
  for (int i = 0; i < 5; ++i) allowed += decide(a, 6).allowed ? 1 : 0;
  EXPECT_EQ(allowed, 3);
  EXPECT_EQ(a.stats().decided, decided_before + 5);
}

TEST_F(RedisRateLimiterTest, StopAnswersWhatIsQueued) {
  RedisRateLimiter a(options(), clock_);
  a.start();
  ASSERT_TRUE(eventually([&] { return a.connected(); }));
  server_->pause();
  std::atomic<int> answered{0};
  for (int i = 0; i < 20; ++i) a.acquire(1, [&](RateDecision) { ++answered; });
  a.stop();
  EXPECT_EQ(answered.load(), 20);
  server_->resume();
}

}  // namespace
}  // namespace parley::cluster::redis
