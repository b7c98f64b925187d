// Node id leases and the shared secret on a real PostgreSQL
// (store/postgres/node_lease.hpp, shared_secret.hpp).

#include <mutex>
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "postgres_backend.hpp"
#include "store/postgres/node_lease.hpp"
#include "store/postgres/shared_secret.hpp"

namespace parley::store::testing {
namespace {

using postgres::NodeLease;
using postgres::NodeLeaseOptions;

#define REQUIRE_DATABASE(db)                             \
  TestPostgresDatabase db;                               \
  if (!db.available()) GTEST_SKIP() << db.skip_reason(); \
  ASSERT_TRUE(db.ok()) << db.error();                    \
  { auto migrated = db.open(); ASSERT_TRUE(migrated.ok()) << migrated.error().message; }

NodeLeaseOptions lease_options(const TestPostgresDatabase& db, std::optional<int> node_id = std::nullopt) {
  NodeLeaseOptions options;
  options.conninfo = db.url();
  options.node_id = node_id;
  options.holder_info = "test";
  return options;
}

TEST(PostgresNodeLease, ConcurrentAcquirersGetDistinctIds) {
  REQUIRE_DATABASE(db);
  constexpr int nodes = 6;
  std::vector<std::unique_ptr<NodeLease>> leases(nodes);
  std::vector<std::string> errors(nodes);
  std::vector<std::thread> threads;
  for (int i = 0; i < nodes; ++i) {
    threads.emplace_back([&, i] {
      auto lease = NodeLease::acquire(lease_options(db));
      if (lease) leases[i] = std::move(*lease);
      else errors[i] = lease.error().message;
    });
  }
  for (auto& t : threads) t.join();
  std::set<int> ids;
  for (int i = 0; i < nodes; ++i) {
    ASSERT_TRUE(leases[i]) << errors[i];
    ids.insert(leases[i]->node_id());
    EXPECT_EQ(leases[i]->floor_unix_ms(), 0) << "a never used id has no floor";
  }
  EXPECT_EQ(ids, (std::set<int>{0, 1, 2, 3, 4, 5}));
}

TEST(PostgresNodeLease, AHeldConfiguredIdIsRefusedWithItsHolder) {
  REQUIRE_DATABASE(db);
  auto first = NodeLease::acquire(lease_options(db, 7));
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ((*first)->node_id(), 7);
  auto options = lease_options(db, 7);
  auto second = NodeLease::acquire(options);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, "node_id_taken");
  EXPECT_NE(second.error().message.find("--node-id 7 is held by a live node (test"), std::string::npos)
      << second.error().message;
  // A free lease skips the held id.
  auto third = NodeLease::acquire(lease_options(db));
  ASSERT_TRUE(third.ok());
  EXPECT_EQ((*third)->node_id(), 0);
}

TEST(PostgresNodeLease, AnExpiredLeaseIsReusedAfterItsHoldersIds) {
  REQUIRE_DATABASE(db);
  auto first = NodeLease::acquire(lease_options(db));
  ASSERT_TRUE(first.ok());
  ASSERT_EQ((*first)->node_id(), 0);
  ASSERT_TRUE((*first)->renew_once(5'000'000).ok());
  // The holder dies (no release) and its lease runs out.
  ASSERT_EQ(run_sql(db.name(), "UPDATE parley_node_leases SET expires_at = now() - interval '1 second'"), "");
  auto second = NodeLease::acquire(lease_options(db, 0));
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ((*second)->node_id(), 0);
  // It may have issued ids until its give-up point: the TTL after its last report.
  EXPECT_EQ((*second)->floor_unix_ms(), 5'000'000 + 30'000);
  // The old holder finds out at its next renewal.
  auto lost = (*first)->renew_once(5'000'001);
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.error().code, "node_lease_lost");
}

TEST(PostgresNodeLease, AnExpiredButUntakenLeaseIsRenewedByItsHolder) {
  REQUIRE_DATABASE(db);
  auto lease = NodeLease::acquire(lease_options(db));
  ASSERT_TRUE(lease.ok());
  ASSERT_EQ(run_sql(db.name(), "UPDATE parley_node_leases SET expires_at = now() - interval '1 second'"), "");
  EXPECT_TRUE((*lease)->renew_once(1).ok());
  auto other = NodeLease::acquire(lease_options(db, (*lease)->node_id()));
  EXPECT_FALSE(other.ok()) << "renewed: live again";
}

TEST(PostgresNodeLease, AReleasedIdIsFreeAtOnceWithTheExactFloor) {
  REQUIRE_DATABASE(db);
  auto first = NodeLease::acquire(lease_options(db, 3));
  ASSERT_TRUE(first.ok());
  (*first)->release(9'000'000);
  auto second = NodeLease::acquire(lease_options(db, 3));
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ((*second)->floor_unix_ms(), 9'000'000);
}

TEST(PostgresNodeLease, RenewsInTheBackgroundAndReportsALostLease) {
  REQUIRE_DATABASE(db);
  auto options = lease_options(db);
  options.ttl = std::chrono::milliseconds(2'000);
  options.renew_every = std::chrono::milliseconds(100);
  auto lease = NodeLease::acquire(options);
  ASSERT_TRUE(lease.ok());
  std::atomic<int> lost{0};
  std::mutex mutex;
  std::string reason;
  (*lease)->start([] { return std::int64_t{42}; }, [&](const std::string& why) {
    std::lock_guard lock(mutex);
    reason = why;
    ++lost;
  });
  // Renewals report the used millisecond.
  for (int i = 0; i < 100; ++i) {
    if (run_sql(db.name(), "DO $$ BEGIN IF (SELECT used_ms FROM parley_node_leases) <> 42 THEN RAISE EXCEPTION 'x'; END IF; END $$") == "") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(run_sql(db.name(), "DO $$ BEGIN IF (SELECT used_ms FROM parley_node_leases) <> 42 THEN RAISE EXCEPTION 'x'; END IF; END $$"), "");
  EXPECT_EQ(lost.load(), 0);
  // Another node takes the row: the next renewal reports the loss, once.
  ASSERT_EQ(run_sql(db.name(), "UPDATE parley_node_leases SET holder = 'someone else'"), "");
  for (int i = 0; i < 100 && lost.load() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(lost.load(), 1);
  std::lock_guard lock(mutex);
  EXPECT_NE(reason.find("taken by another node"), std::string::npos) << reason;
}

TEST(PostgresNodeLease, KeepsItsIdThroughAnOutageLongerThanTheLeaseUnlessTheIdWasTaken) {
  REQUIRE_DATABASE(db);
  auto options = lease_options(db);
  options.ttl = std::chrono::milliseconds(1'000);
  options.renew_every = std::chrono::milliseconds(200);
  auto lease = NodeLease::acquire(options);
  ASSERT_TRUE(lease.ok());
  std::atomic<int> lost{0};
  // Renewals fail (the statement errors), as if the database were unreachable,
  // for twice the lease.
  ASSERT_EQ(run_sql(db.name(), "ALTER TABLE parley_node_leases RENAME TO parley_node_leases_away"), "");
  (*lease)->start([] { return std::int64_t{7}; }, [&](const std::string&) { ++lost; });
  std::this_thread::sleep_for(std::chrono::milliseconds(2'000));
  EXPECT_EQ(lost.load(), 0) << "an outage alone does not give the id up";
  // Back: the expired row is still this holder's, and is renewed.
  ASSERT_EQ(run_sql(db.name(), "ALTER TABLE parley_node_leases_away RENAME TO parley_node_leases"), "");
  const char* renewed =
      "DO $$ BEGIN IF (SELECT expires_at <= now() OR used_ms <> 7 FROM parley_node_leases) THEN RAISE EXCEPTION 'x'; END IF; END $$";
  for (int i = 0; i < 60 && run_sql(db.name(), renewed) != ""; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(run_sql(db.name(), renewed), "");
  EXPECT_EQ(lost.load(), 0);
  // Another node takes the row: lost, once.
  ASSERT_EQ(run_sql(db.name(), "UPDATE parley_node_leases SET holder = 'someone else'"), "");
  for (int i = 0; i < 100 && lost.load() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(lost.load(), 1);
}

TEST(PostgresNodeLease, RefusesBadOptions) {
  NodeLeaseOptions options;
  options.node_id = 1024;
  EXPECT_EQ(NodeLease::acquire(options).error().code, "invalid_node_id");
  options.node_id = std::nullopt;
  options.ttl = std::chrono::milliseconds(5'000);
  options.renew_every = std::chrono::milliseconds(5'000);
  EXPECT_EQ(NodeLease::acquire(options).error().code, "invalid_lease");
}

TEST(PostgresSharedSecret, TheFirstCandidateWinsForEveryNode) {
  REQUIRE_DATABASE(db);
  std::vector<std::string> got(4);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      auto secret = postgres::load_or_store_shared_secret(db.url(), "jwt_secret", "candidate-" + std::to_string(i));
      got[i] = secret ? *secret : "error: " + secret.error().message;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(got[0].rfind("candidate-", 0), 0u) << got[0];
  for (const auto& g : got) EXPECT_EQ(g, got[0]);
  auto later = postgres::load_or_store_shared_secret(db.url(), "jwt_secret", "another");
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(*later, got[0]);
}

}  // namespace
}  // namespace parley::store::testing
