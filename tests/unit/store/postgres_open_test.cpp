// Opening the PostgreSQL store: migrations (twice, concurrently), a newer
// schema refused, an unreachable server, and open_store's choice of backend.

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "postgres_backend.hpp"
#include "store/open_store.hpp"
#include "store/postgres/migrations.hpp"

namespace parley::store::testing {
namespace {

#define REQUIRE_DATABASE(db)                                  \
  TestPostgresDatabase db;                                    \
  if (!db.available()) GTEST_SKIP() << db.skip_reason();      \
  ASSERT_TRUE(db.ok()) << db.error()

TEST(PostgresOpen, MigratesOnceWhenOpenedTwice) {
  REQUIRE_DATABASE(db);
  {
    auto first = db.open();
    ASSERT_TRUE(first.ok()) << first.error().message;
    UserRow u{1, "alice", "alice@example.com", "Alice", "h", 10, 0};
    ASSERT_TRUE((*first)->insert_user(u).ok());
  }
  auto second = db.open();
  ASSERT_TRUE(second.ok()) << second.error().message;
  auto alice = (*second)->user_by_id(1);
  ASSERT_TRUE(alice.ok());
  ASSERT_TRUE(alice->has_value()) << "the second open kept the data";
  // Exactly one row per migration: the second open applied nothing.
  EXPECT_EQ(run_sql(db.name(), "DO $$ BEGIN IF (SELECT count(*) FROM parley_schema) <> " +
                                   std::to_string(postgres::latest_schema_version()) +
                                   " THEN RAISE EXCEPTION 'wrong count'; END IF; END $$"),
            "");
}

TEST(PostgresOpen, ConcurrentOpenersMigrateOnce) {
  REQUIRE_DATABASE(db);
  constexpr int openers = 6;
  std::vector<std::thread> threads;
  std::vector<std::string> errors(openers);
  std::atomic<int> opened{0};
  for (int i = 0; i < openers; ++i) {
    threads.emplace_back([&, i] {
      PostgresOptions options;
      options.pool_size = 1;
      options.appenders = 1;
      auto store = db.open(options);
      if (store.ok()) {
        ++opened;
      } else {
        errors[i] = store.error().message;
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& e : errors) EXPECT_EQ(e, "");
  EXPECT_EQ(opened.load(), openers);
  EXPECT_EQ(run_sql(db.name(), "DO $$ BEGIN IF (SELECT count(*) FROM parley_schema) <> " +
                                   std::to_string(postgres::latest_schema_version()) +
                               " OR (SELECT count(*) FROM pg_tables WHERE tablename = 'messages') <> 1"
                               " THEN RAISE EXCEPTION 'migrated more than once'; END IF; END $$"),
            "");
}

TEST(PostgresOpen, RefusesANewerSchema) {
  REQUIRE_DATABASE(db);
  { ASSERT_TRUE(db.open().ok()); }
  ASSERT_EQ(run_sql(db.name(), "INSERT INTO parley_schema (version, name) VALUES (9999, 'from the future')"), "");
  auto store = db.open();
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, "schema_too_new");
  EXPECT_NE(store.error().message.find(db.name()), std::string::npos) << store.error().message;
  EXPECT_NE(store.error().message.find("9999"), std::string::npos) << store.error().message;
}

TEST(PostgresOpen, UnreachableServerIsUnavailableWithoutThePassword) {
  PostgresOptions options;
  // Port 1 on loopback: nothing listens there, the connection is refused at once.
  options.url = "postgres://parley:s3cret-pw@127.0.0.1:1/parley";
  options.connect_timeout_s = 2;
  auto store = open_postgres_store(options);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().kind, ErrorKind::unavailable);
  EXPECT_EQ(store.error().code, "unavailable");
  EXPECT_NE(store.error().message.find("127.0.0.1"), std::string::npos) << store.error().message;
  EXPECT_EQ(store.error().message.find("s3cret-pw"), std::string::npos) << store.error().message;
}

TEST(PostgresOpen, BadCredentialsAreUnavailableWithoutThePassword) {
  REQUIRE_DATABASE(db);
  PostgresOptions options;
  options.url = db.url() + " user='nobody_here' password='n0t-the-pw'";
  auto store = open_postgres_store(options);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().kind, ErrorKind::unavailable);
  EXPECT_EQ(store.error().message.find("n0t-the-pw"), std::string::npos) << store.error().message;
}

TEST(OpenStore, ChoosesTheBackendFromTheUrl) {
  auto target = parse_store_url({"", "/var/lib/parley"});
  ASSERT_TRUE(target.ok());
  EXPECT_EQ(target->backend, StoreBackend::sqlite);
  EXPECT_EQ(target->location, "/var/lib/parley/parley.db");

  target = parse_store_url({"sqlite:/tmp/x.db", "/ignored"});
  ASSERT_TRUE(target.ok());
  EXPECT_EQ(target->backend, StoreBackend::sqlite);
  EXPECT_EQ(target->location, "/tmp/x.db");

  for (const char* url : {"postgres://u:p@h:5432/db", "postgresql://h/db", "host=h dbname=db"}) {
    target = parse_store_url({url, ""});
    ASSERT_TRUE(target.ok()) << url;
    EXPECT_EQ(target->backend, StoreBackend::postgres) << url;
    EXPECT_EQ(target->location, url);
  }

  for (const char* url : {"mysql://h/db", "sqlite:", "/just/a/path"}) {
    target = parse_store_url({url, "/data"});
    ASSERT_FALSE(target.ok()) << url;
    EXPECT_EQ(target.error().kind, ErrorKind::bad_request) << url;
    EXPECT_EQ(target.error().code, "invalid_store") << url;
  }
}

TEST(OpenStore, OpensPostgresFromAConninfo) {
  REQUIRE_DATABASE(db);
  auto store = open_store({db.url(), ""});
  ASSERT_TRUE(store.ok()) << store.error().message;
  EXPECT_TRUE((*store)->ping().ok());
}

}  // namespace
}  // namespace parley::store::testing
