// Connection loss: every session of the test database is terminated from a
// second connection (pg_terminate_backend) while the store works. Calls in
// flight fail with unavailable or succeed after a reconnect, nothing crashes,
// ping recovers, and client retries with the same clientMsgId store nothing twice.

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <thread>

#include "postgres_fixture.hpp"

namespace parley::store::testing {
namespace {

using namespace std::chrono_literals;

using PostgresFaults = PostgresStoreTest;

// Pings until it succeeds or `limit` passes; every failure must be unavailable.
bool ping_recovers(Store& store, std::chrono::milliseconds limit) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    Status s = store.ping();
    if (s.ok()) return true;
    EXPECT_EQ(s.error().kind, ErrorKind::unavailable) << s.error().message;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

TEST_F(PostgresFaults, IdleConnectionsDroppedByTheServerAreReplacedBeforeUse) {
  Id a = add_user("alice");
  Id c = add_group({a});
  ASSERT_TRUE(store_->append_message(draft(c, a, "before")).ok());
  ASSERT_TRUE(store_->user_by_id(a).ok());
  ASSERT_EQ(db_->terminate_sessions(), "");

  // Every idle connection was dropped by the server: the pool and the
  // appender notice before sending (Connection::probe) and reconnect, so the
  // next calls succeed.
  auto user = store_->user_by_id(a);
  ASSERT_TRUE(user.ok()) << user.error().message;
  EXPECT_TRUE(user->has_value());
  auto appended = store_->append_message(draft(c, a, "after"));
  ASSERT_TRUE(appended.ok()) << appended.error().message;
  Status ping = store_->ping();
  EXPECT_TRUE(ping.ok()) << ping.error().message;
  // A client retry of the same send returns the stored copy.
  auto retried = store_->append_message(draft(c, a, "after"));
  ASSERT_TRUE(retried.ok()) << retried.error().message;
  EXPECT_FALSE(retried->created);
  auto page = store_->messages(c, std::nullopt, std::nullopt, 10);
  ASSERT_TRUE(page.ok()) << page.error().message;
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[1].client_msg_id, "after");
  EXPECT_EQ((*page)[1].seq, 2);
}

TEST_F(PostgresFaults, RetriedSendsAreStoredOnceAcrossRepeatedTerminations) {
  Id a = add_user("alice");
  Id b = add_user("bob");
  Id c = add_group({a, b});
  constexpr int senders = 4;
  constexpr int per_sender = 150;
  std::atomic<int> unavailable{0};
  std::atomic<int> other_errors{0};
  std::atomic<bool> stop_killing{false};
  std::thread killer([&] {
    while (!stop_killing.load()) {
      std::this_thread::sleep_for(40ms);
      (void)db_->terminate_sessions();
    }
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < senders; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < per_sender; ++i) {
        // A client that keeps its clientMsgId (and message id) across retries.
        MessageRow m = draft(c, t % 2 == 0 ? a : b, "s" + std::to_string(t) + "-" + std::to_string(i));
        auto until = std::chrono::steady_clock::now() + 20s;
        for (;;) {
          auto r = store_->append_message(m);
          if (r.ok()) break;
          if (r.error().kind == ErrorKind::unavailable) {
            ++unavailable;
          } else {
            ++other_errors;
            ADD_FAILURE() << r.error().message;
            break;
          }
          if (std::chrono::steady_clock::now() > until) {
            ADD_FAILURE() << "no recovery within 20 s";
            break;
          }
          std::this_thread::sleep_for(10ms);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  stop_killing = true;
  killer.join();
  EXPECT_EQ(other_errors.load(), 0);
  EXPECT_TRUE(ping_recovers(*store_, 10s));

  auto page = store_->messages(c, std::nullopt, Seq{0}, 10000);
  ASSERT_TRUE(page.ok()) << page.error().message;
  ASSERT_EQ(page->size(), static_cast<std::size_t>(senders * per_sender));
  std::set<std::string> keys;
  for (std::size_t i = 0; i < page->size(); ++i) {
    EXPECT_EQ((*page)[i].seq, static_cast<Seq>(i + 1));
    EXPECT_TRUE(keys.insert((*page)[i].client_msg_id).second) << "stored twice: " << (*page)[i].client_msg_id;
  }
  StoreStats stats = store_->stats();
  RecordProperty("unavailable_retries", unavailable.load());
  RecordProperty("failed_write_transactions", static_cast<int>(stats.failed_write_transactions));
}

TEST_F(PostgresFaults, ReadsAndWritesFailAsValuesWhileTheDatabaseRefusesConnections) {
  Id a = add_user("alice");
  Id c = add_group({a});
  // Refuse new connections to this database, then drop the existing ones: the
  // pool cannot reconnect until connections are allowed again.
  ASSERT_EQ(run_sql("postgres", "ALTER DATABASE " + db_->name() + " ALLOW_CONNECTIONS false"), "");
  ASSERT_EQ(db_->terminate_sessions(), "");
  auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 3; ++i) {
    Status ping = store_->ping();
    ASSERT_FALSE(ping.ok());
    EXPECT_EQ(ping.error().kind, ErrorKind::unavailable);
    auto user = store_->user_by_id(a);
    ASSERT_FALSE(user.ok()) << "a failed read never reads as absent";
    EXPECT_EQ(user.error().kind, ErrorKind::unavailable);
    auto page = store_->messages(c, std::nullopt, std::nullopt, 10);
    ASSERT_FALSE(page.ok());
    EXPECT_EQ(page.error().kind, ErrorKind::unavailable);
    auto sent = store_->append_message(draft(c, a, "while-down-" + std::to_string(i)));
    ASSERT_FALSE(sent.ok());
    EXPECT_EQ(sent.error().kind, ErrorKind::unavailable);
  }
  // Failing fast: no call waited for long.
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  ASSERT_EQ(run_sql("postgres", "ALTER DATABASE " + db_->name() + " ALLOW_CONNECTIONS true"), "");
  EXPECT_TRUE(ping_recovers(*store_, 10s));
  // The appenders reconnect on their own backoff (at most 2 s): a client retries.
  auto sent = store_->append_message(draft(c, a, "after"));
  for (auto until = std::chrono::steady_clock::now() + 10s; !sent.ok() && std::chrono::steady_clock::now() < until;) {
    EXPECT_EQ(sent.error().kind, ErrorKind::unavailable) << sent.error().message;
    std::this_thread::sleep_for(50ms);
    sent = store_->append_message(draft(c, a, "after"));
  }
  ASSERT_TRUE(sent.ok()) << sent.error().message;
  EXPECT_EQ(sent->message.seq, 1);
}

}  // namespace
}  // namespace parley::store::testing
