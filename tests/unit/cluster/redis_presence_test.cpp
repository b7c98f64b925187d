// RedisPresence against a real redis-server: two instances on one Redis are
// two nodes of a cluster.
#include <gtest/gtest.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>

#include "cluster/redis/redis_connection.hpp"
#include "cluster/redis/redis_presence.hpp"
#include "cluster/redis_test_server.hpp"

namespace parley::cluster::redis {
namespace {

using namespace std::chrono_literals;
using namespace redis_testing;

// Margins for loaded machines (ctest -j, sanitizers): the TTL is well above the
// heartbeat, the grace well above a sync round trip.
constexpr TimeMs kGrace = 500;

// Drains the announcements of several nodes, as Live's sweep does, and counts them.
class Announcements {
 public:
  explicit Announcements(std::vector<RedisPresence*> nodes) : nodes_(std::move(nodes)) {}
  void poll() {
    for (auto* node : nodes_) {
      for (Id user : node->take_came_online()) ++online_[user];
      for (Id user : node->expire_offline(kGrace)) ++offline_[user];
    }
  }
  int online(Id user) const { return count(online_, user); }
  int offline(Id user) const { return count(offline_, user); }
  // Polls for `span` (announcements that would come twice have time to).
  void poll_for(std::chrono::milliseconds span) {
    const auto end = std::chrono::steady_clock::now() + span;
    while (std::chrono::steady_clock::now() < end) {
      poll();
      std::this_thread::sleep_for(10ms);
    }
  }

 private:
  static int count(const std::map<Id, int>& m, Id user) {
    auto it = m.find(user);
    return it == m.end() ? 0 : it->second;
  }
  std::vector<RedisPresence*> nodes_;
  std::map<Id, int> online_, offline_;
};

class RedisPresenceTest : public RedisServerTest {
 protected:

  RedisPresenceOptions options() const {
    RedisPresenceOptions o;
    o.endpoint = {"127.0.0.1", server_->port()};
    o.grace = std::chrono::milliseconds(kGrace);
    o.heartbeat_interval = 100ms;
    o.node_ttl = 1000ms;
    o.tick = 20ms;
    o.connect_timeout = 200ms;
    o.command_timeout = 300ms;
    o.backoff_min = 20ms;
    o.backoff_max = 100ms;
    return o;
  }

  // Reads Redis directly: how many connections `node` has registered for `user`.
  long long registered(const RedisPresence& node, Id user) {
    RedisConnection c({{"127.0.0.1", server_->port()}, 200ms, 300ms});
    if (!c.connect()) return -1;
    auto reply = c.command({"HGET", "parley:presence:conns:" + std::to_string(user), node.node()});
    if (!reply || reply->type == REDIS_REPLY_NIL) return 0;
    return reply_integer(reply.get()).value_or(-1);
  }

  SystemClock clock_;
};

TEST_F(RedisPresenceTest, OnlineWhileAnyNodeHoldsAConnectionAndEachTransitionAnnouncedOnce) {
  RedisPresence a(options(), clock_), b(options(), clock_);
  a.start();
  b.start();
  ASSERT_TRUE(eventually([&] { return a.redis_connected() && b.redis_connected(); }));
  Announcements seen({&a, &b});

  EXPECT_FALSE(a.connected(7));  // decided in Redis, reported by take_came_online()
  ASSERT_TRUE(eventually([&] { seen.poll(); return b.state(7).online && seen.online(7) == 1; }));
  EXPECT_TRUE(a.state(7).online);
  b.connected(7);  // a second connection, on the other node
  a.disconnected(7);
  seen.poll_for(std::chrono::milliseconds(kGrace * 3));
  EXPECT_EQ(seen.online(7), 1);
  EXPECT_EQ(seen.offline(7), 0) << "B still holds a connection";
  EXPECT_TRUE(a.state(7).online);
  EXPECT_TRUE(b.state(7).online);

  b.disconnected(7);
  ASSERT_TRUE(eventually([&] { seen.poll(); return seen.offline(7) == 1; }));
  seen.poll_for(std::chrono::milliseconds(kGrace * 2));
  EXPECT_EQ(seen.offline(7), 1);
  EXPECT_EQ(seen.online(7), 1);
  ASSERT_TRUE(eventually([&] { return !a.state(7).online && !b.state(7).online; }));
  EXPECT_TRUE(a.state(7).last_seen_at.has_value());
  EXPECT_EQ(a.state(7).last_seen_at, b.state(7).last_seen_at) << "every node answers the same";
  EXPECT_EQ(a.stats().went_offline + b.stats().went_offline, 1u);
}

TEST_F(RedisPresenceTest, AReconnectWithinTheGraceIsNotAnnounced) {
  RedisPresence a(options(), clock_), b(options(), clock_);
  a.start();
  b.start();
  Announcements seen({&a, &b});
  a.connected(3);
  ASSERT_TRUE(eventually([&] { seen.poll(); return seen.online(3) == 1; }));
  a.disconnected(3);
  std::this_thread::sleep_for(std::chrono::milliseconds(kGrace / 5));
  b.connected(3);  // the client came back through the other node
  seen.poll_for(std::chrono::milliseconds(kGrace * 3));
  EXPECT_EQ(seen.online(3), 1);
  EXPECT_EQ(seen.offline(3), 0);
}

TEST_F(RedisPresenceTest, AKilledNodesUsersGoOfflineOnceAfterItsTtlAndTheGrace) {
  RedisPresence a(options(), clock_), b(options(), clock_), c(options(), clock_);
  a.start();
  b.start();
  c.start();
  Announcements seen({&b, &c});
  a.connected(9);
  ASSERT_TRUE(eventually([&] { a.take_came_online(); return b.state(9).online && c.state(9).online; }));

  a.stop_without_cleanup();  // kill -9: no deregistration, the liveness key just expires
  // Before the TTL ran out the user is still online.
  seen.poll_for(options().node_ttl / 3);
  EXPECT_TRUE(b.state(9).online);
  EXPECT_EQ(seen.offline(9), 0);
  ASSERT_TRUE(eventually([&] { seen.poll(); return seen.offline(9) == 1; }, 5s));
  seen.poll_for(std::chrono::milliseconds(kGrace * 2));
  EXPECT_EQ(seen.offline(9), 1);
  ASSERT_TRUE(eventually([&] { return !b.state(9).online && !c.state(9).online; }));
  EXPECT_EQ(b.stats().nodes_reaped + c.stats().nodes_reaped, 1u);
}

TEST_F(RedisPresenceTest, ACleanStopHandsItsUsersToTheOthers) {
  RedisPresence a(options(), clock_), b(options(), clock_);
  a.start();
  b.start();
  Announcements seen({&b});
  a.connected(4);
  ASSERT_TRUE(eventually([&] { return b.state(4).online; }));
  a.stop();  // deregisters: no TTL to wait for
  ASSERT_TRUE(eventually([&] { seen.poll(); return seen.offline(4) == 1; }, 3s));
  EXPECT_EQ(b.stats().nodes_reaped, 0u);
}

TEST_F(RedisPresenceTest, NodesRegisterAgainAfterARedisRestartAndAnswerLocallyMeanwhile) {
  RedisPresence a(options(), clock_), b(options(), clock_);
  a.start();
  b.start();
  Announcements seen({&a, &b});
  a.connected(5);
  b.connected(6);
  ASSERT_TRUE(eventually([&] { seen.poll(); return a.state(6).online && b.state(5).online; }));
  ASSERT_EQ(registered(a, 5), 1);

  server_->kill();
  ASSERT_TRUE(eventually([&] { return !a.redis_connected() && !b.redis_connected(); }));
  // Redis away: every call answers at once from the node's own view.
  a.connected(5);
  EXPECT_TRUE(a.state(5).online);
  EXPECT_TRUE(a.state(6).online) << "the last view of the cluster is kept";
  a.disconnected(5);

  ASSERT_TRUE(server_->start());  // empty: no persistence
  ASSERT_TRUE(eventually([&] { return a.redis_connected() && b.redis_connected(); }));
  ASSERT_TRUE(eventually([&] { return registered(a, 5) == 1 && registered(b, 6) == 1; }));
  EXPECT_TRUE(a.state(6).online);
  EXPECT_TRUE(b.state(5).online);
  EXPECT_GE(a.stats().registrations, 2u);

  // And presence works on as before: the last connection closes, one offline.
  seen.poll();
  const int offline_before = seen.offline(5);
  a.disconnected(5);
  ASSERT_TRUE(eventually([&] { seen.poll(); return seen.offline(5) == offline_before + 1; }));
  seen.poll_for(std::chrono::milliseconds(kGrace * 2));
  EXPECT_EQ(seen.offline(5), offline_before + 1);
  EXPECT_TRUE(b.state(6).online);
}

TEST_F(RedisPresenceTest, WithoutRedisNothingBlocksAndTheLocalViewAnswers) {
  auto o = options();
  o.endpoint.port = free_port();  // nobody listens there
  RedisPresence a(o, clock_);
  a.start();
  for (int i = 0; i < 100; ++i) {
    a.connected(1);
    a.touch(1);
    a.disconnected(1);
  }
  a.connected(1);
  EXPECT_TRUE(a.state(1).online);
  EXPECT_FALSE(a.state(2).online);
  EXPECT_TRUE(a.take_came_online().empty());
  EXPECT_TRUE(a.expire_offline(kGrace).empty());
  EXPECT_FALSE(a.redis_connected());
  a.stop();
}

}  // namespace
}  // namespace parley::cluster::redis
