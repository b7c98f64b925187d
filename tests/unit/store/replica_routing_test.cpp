// ReplicaRoutingStore against a real primary and a real streaming replica:
// PARLEY_TEST_POSTGRES_URL (scripts/pg-server.sh start DIR) and
// PARLEY_TEST_POSTGRES_REPLICA_URL (scripts/pg-server.sh replica DIR RDIR).
// Without the second, these tests skip. Replay is paused on the replica with
// pg_wal_replay_pause() to hold it at a known position; since that is
// server-wide, the tests of this file take an advisory lock on the primary
// for their duration, so that two test processes never pause each other.

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>

#include "postgres_backend.hpp"
#include "store/postgres/pg_connection.hpp"
#include "store/postgres/query_watchdog.hpp"
#include "store/open_store.hpp"
#include "store/postgres/replica_routing_store.hpp"

namespace parley::store::testing {
namespace {

std::string replica_server_url() {
  const char* env = std::getenv("PARLEY_TEST_POSTGRES_REPLICA_URL");
  return env != nullptr ? env : "";
}

// One libpq session for the test's own SQL.
class Session {
 public:
  explicit Session(const std::string& conninfo) : conn_(PQconnectdb((conninfo + " application_name=parley-test").c_str())) {}
  ~Session() { PQfinish(conn_); }
  bool ok() const { return PQstatus(conn_) == CONNECTION_OK; }
  std::string error() const { return PQerrorMessage(conn_); }
  // The first value of the first row ("" if none); ADD_FAILURE on an error.
  std::string value(const std::string& sql) {
    PGresult* r = PQexec(conn_, sql.c_str());
    std::string out;
    if (PQresultStatus(r) != PGRES_TUPLES_OK && PQresultStatus(r) != PGRES_COMMAND_OK) {
      ADD_FAILURE() << sql << ": " << PQresultErrorMessage(r);
    } else if (PQntuples(r) > 0 && PQnfields(r) > 0) {
      out = PQgetvalue(r, 0, 0);
    }
    PQclear(r);
    return out;
  }

 private:
  PGconn* conn_;
};

class ReplicaRoutingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (postgres_test_server_url().empty() || replica_server_url().empty())
      GTEST_SKIP() << "PARLEY_TEST_POSTGRES_URL and PARLEY_TEST_POSTGRES_REPLICA_URL are needed "
                      "(scripts/pg-server.sh start DIR; scripts/pg-server.sh replica DIR RDIR)";
    lock_ = std::make_unique<Session>(with_database(postgres_test_server_url(), "postgres"));
    ASSERT_TRUE(lock_->ok()) << lock_->error();
    lock_->value("SELECT pg_advisory_lock(734101)");
    replica_admin_ = std::make_unique<Session>(with_database(replica_server_url(), "postgres"));
    ASSERT_TRUE(replica_admin_->ok()) << replica_admin_->error();
    ASSERT_EQ(replica_admin_->value("SELECT pg_is_in_recovery()"), "t") << "not a standby";
    replica_admin_->value("SELECT pg_wal_replay_resume()");
    db_ = std::make_unique<TestPostgresDatabase>();
    ASSERT_TRUE(db_->ok()) << db_->error();
    auto primary = db_->open();
    ASSERT_TRUE(primary.ok()) << primary.error().message;
    ASSERT_TRUE(caught_up()) << "the replica did not replay the new database";
    store_ = std::make_unique<postgres::ReplicaRoutingStore>(std::move(*primary), options());
  }
  void TearDown() override {
    if (replica_admin_) replica_admin_->value("SELECT pg_wal_replay_resume()");
    store_.reset();
    db_.reset();
    lock_.reset();
  }

  virtual ReplicaRoutingOptions options() const {
    ReplicaRoutingOptions o;
    o.replica_url = with_database(replica_server_url(), db_->name());
    o.primary_url = db_->url();
    return o;
  }

  // Waits (up to 20 s) until the replica has replayed everything the primary flushed.
  bool caught_up() {
    Session primary(with_database(postgres_test_server_url(), "postgres"));
    const std::string position = primary.value("SELECT pg_current_wal_flush_lsn()");
    for (int i = 0; i < 400; ++i) {
      if (replica_admin_->value("SELECT pg_last_wal_replay_lsn() >= '" + position + "'::pg_lsn") == "t") return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  // Stops replay where it is (pg_wal_replay_pause() only asks; wait until it took).
  void pause_replay() {
    replica_admin_->value("SELECT pg_wal_replay_pause()");
    for (int i = 0; i < 200 && replica_admin_->value("SELECT pg_get_wal_replay_pause_state()") != "paused"; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ASSERT_EQ(replica_admin_->value("SELECT pg_get_wal_replay_pause_state()"), "paused");
  }

  Id next_id() { return ++ids_; }
  Id add_user(const std::string& name) {
    UserRow u;
    u.id = next_id();
    u.username = name;
    u.email = name + "@example.com";
    u.display_name = name;
    u.password_hash = "hash";
    u.created_at = 1000;
    EXPECT_TRUE(store_->insert_user(u).ok());
    return u.id;
  }
  Id add_group(const std::vector<Id>& users) {
    ConversationRow c;
    c.id = next_id();
    c.type = ConversationType::group;
    c.title = "group";
    c.created_by = users.front();
    c.created_at = 2000;
    std::vector<MemberRow> members;
    for (Id u : users) members.push_back(MemberRow{c.id, u, MemberRole::member, 0, 2000});
    EXPECT_TRUE(store_->create_conversation(c, members).ok());
    return c.id;
  }
  MessageRow append(Id conversation, Id sender, const std::string& client_msg_id) {
    MessageRow m;
    m.id = next_id();
    m.conversation_id = conversation;
    m.sender_id = sender;
    m.body = "body of " + client_msg_id;
    m.client_msg_id = client_msg_id;
    m.created_at = 3000 + m.id;
    auto r = store_->append_message(m);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? r->message : MessageRow{};
  }

  std::unique_ptr<Session> lock_;
  std::unique_ptr<Session> replica_admin_;
  std::unique_ptr<TestPostgresDatabase> db_;
  std::unique_ptr<postgres::ReplicaRoutingStore> store_;
  Id ids_ = 100;
};

TEST_F(ReplicaRoutingTest, FreshReadsAreServedByTheReplica) {
  Id ann = add_user("ann");
  Id c = add_group({ann});
  for (int i = 0; i < 5; ++i) append(c, ann, "m" + std::to_string(i));
  ASSERT_TRUE(caught_up());
  auto page = store_->messages(c, std::nullopt, std::nullopt, 50);
  ASSERT_TRUE(page.ok()) << page.error().message;
  ASSERT_EQ(page->size(), 5u);
  EXPECT_EQ(page->back().seq, 5);
  auto after = store_->messages(c, std::nullopt, Seq{3}, 50);
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->size(), 2u);
  EXPECT_EQ(after->front().seq, 4);
  // Pages are fresh by the conversation's last_seq: both from the replica.
  EXPECT_EQ(store_->routing_stats().replica_reads, 2u);
  EXPECT_EQ(store_->routing_stats().primary_not_fresh, 0u);
  // A list is fresh only once the replica has replayed the primary's whole WAL
  // position, which other tests writing to the same server move on: asked
  // again (as a client would be answered by the primary meanwhile) until the
  // replica has caught up with it.
  std::uint64_t list_reads = 0;
  for (int attempt = 0; attempt < 50 && store_->routing_stats().replica_reads < 3; ++attempt) {
    ASSERT_TRUE(caught_up());
    auto list = store_->conversations_of(ann, std::nullopt, 20);
    ASSERT_TRUE(list.ok());
    ASSERT_EQ(list->size(), 1u);
    EXPECT_EQ(list->front().conversation.last_seq, 5);
    ++list_reads;
  }
  const auto stats = store_->routing_stats();
  EXPECT_EQ(stats.replica_reads, 3u) << "the list, once the replica had caught up";
  EXPECT_EQ(stats.primary_not_fresh, list_reads - 1);
  EXPECT_EQ(stats.primary_unavailable, 0u);
  // The same counts in the store's stats (what /metrics reads).
  const auto generic = store_->stats();
  EXPECT_EQ(generic.replica_reads, stats.replica_reads);
  EXPECT_EQ(generic.replica_not_fresh, stats.primary_not_fresh);
  EXPECT_EQ(generic.replica_unavailable, 0u);
}

// The conversation features' columns decode on the replica as on the primary
// (docs/features.md): change_seq, edited_at, the reply quote, mentions, reactions.
TEST_F(ReplicaRoutingTest, ReplicaPagesCarryTheConversationFeatures) {
  Id ann = add_user("ann");
  Id bob = add_user("bob");
  Id c = add_group({ann, bob});
  MessageRow parent;
  parent.id = next_id();
  parent.conversation_id = c;
  parent.sender_id = ann;
  parent.client_msg_id = "parent";
  parent.body = "the parent";
  parent.created_at = 3000;
  ASSERT_TRUE(store_->append_message(parent).ok());
  MessageRow reply = parent;
  reply.id = next_id();
  reply.client_msg_id = "reply";
  reply.body = "hi @bob";
  reply.reply_to_id = parent.id;
  reply.mentions = {bob};
  ASSERT_TRUE(store_->append_message(reply).ok());
  ASSERT_TRUE(store_->edit_message(parent.id, "the parent, edited", {}, 4000).ok());
  ASSERT_TRUE(store_->set_reaction(reply.id, bob, "\xf0\x9f\x91\x8d", true, 4100, 20).ok());
  ASSERT_TRUE(caught_up());
  auto page = store_->messages(c, std::nullopt, std::nullopt, 10);
  ASSERT_TRUE(page.ok()) << page.error().message;
  EXPECT_EQ(store_->routing_stats().replica_reads, 1u);
  ASSERT_EQ(page->size(), 2u);
  const MessageRow& p = (*page)[0];
  const MessageRow& r = (*page)[1];
  EXPECT_EQ(p.body, "the parent, edited");
  EXPECT_EQ(p.edited_at, std::optional<TimeMs>(4000));
  EXPECT_EQ(p.change_seq, 3);
  EXPECT_EQ(r.change_seq, 4);
  EXPECT_EQ(r.reply_to_id, std::optional<Id>(parent.id));
  ASSERT_TRUE(r.reply_to);
  EXPECT_EQ(r.reply_to->body, "the parent, edited");
  EXPECT_EQ(r.mentions, std::vector<Id>{bob});
  ASSERT_EQ(r.reactions.size(), 1u);
  EXPECT_EQ(r.reactions[0].user_ids, std::vector<Id>{bob});
}

// An edit moves no seq but moves last_change_seq: a page reaching the newest
// messages is not read from a replica that has not replayed it.
TEST_F(ReplicaRoutingTest, AnEditNotReplayedSendsTheNewestPageToThePrimary) {
  Id ann = add_user("ann");
  Id c = add_group({ann});
  MessageRow first = append(c, ann, "m1");
  append(c, ann, "m2");
  ASSERT_TRUE(caught_up());
  pause_replay();
  ASSERT_TRUE(store_->edit_message(first.id, "m1 edited", {}, 5000).ok());
  auto page = store_->messages(c, std::nullopt, std::nullopt, 50);
  ASSERT_TRUE(page.ok()) << page.error().message;
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ(page->front().body, "m1 edited");
  EXPECT_EQ(store_->routing_stats().replica_reads, 0u);
  EXPECT_EQ(store_->routing_stats().primary_not_fresh, 1u);
  replica_admin_->value("SELECT pg_wal_replay_resume()");
  ASSERT_TRUE(caught_up());
  page = store_->messages(c, std::nullopt, std::nullopt, 50);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->front().body, "m1 edited");
  EXPECT_EQ(store_->routing_stats().replica_reads, 1u);
}

TEST_F(ReplicaRoutingTest, ReplicaPagesCarryAttachmentsAndMediaCallsGoToThePrimary) {
  Id ann = add_user("ann");
  Id c = add_group({ann});
  AttachmentRow a;
  a.id = next_id();
  a.conversation_id = c;
  a.uploader_id = ann;
  a.name = "a.png";
  a.content_type = "image/png";
  a.size = 10;
  a.sha256 = "sha";
  a.blob_key = "key";
  a.preview = PreviewState::pending;
  a.created_at = 2500;
  JobRow job;
  job.id = next_id();
  job.kind = "preview";
  job.subject_id = a.id;
  job.run_after = 2500;
  job.created_at = 2500;
  ASSERT_TRUE(store_->insert_attachment(a, 0, 1 << 20, job).ok());
  MessageRow m;
  m.id = next_id();
  m.conversation_id = c;
  m.sender_id = ann;
  m.client_msg_id = "with-file";
  m.created_at = 3000;
  m.attachments.push_back(AttachmentRow{});
  m.attachments.back().id = a.id;
  auto stored = store_->append_message(m);
  ASSERT_TRUE(stored.ok()) << stored.error().message;
  ASSERT_EQ(stored->message.attachments.size(), 1u);
  ASSERT_TRUE(caught_up());
  auto page = store_->messages(c, std::nullopt, std::nullopt, 10);
  ASSERT_TRUE(page.ok()) << page.error().message;
  EXPECT_EQ(store_->routing_stats().replica_reads, 1u);
  ASSERT_EQ(page->size(), 1u);
  ASSERT_EQ(page->front().attachments.size(), 1u);
  EXPECT_EQ(page->front().attachments[0].id, a.id);
  EXPECT_EQ(page->front().attachments[0].message_id, m.id);
  // Jobs are claimed on the primary (a standby could not take a row lock).
  auto claimed = store_->claim_job({"preview"}, 3000, 4000);
  ASSERT_TRUE(claimed.ok()) << claimed.error().message;
  ASSERT_TRUE(*claimed);
  EXPECT_EQ((*claimed)->subject_id, a.id);
  auto done = store_->finish_preview(a.id, AttachmentRow{}, job.id);
  ASSERT_TRUE(done.ok()) << done.error().message;
  ASSERT_TRUE(*done);
  EXPECT_EQ((*done)->id, m.id);
  EXPECT_EQ(store_->routing_stats().replica_reads, 1u);
}

TEST_F(ReplicaRoutingTest, AReadForASeqNotReplayedGoesToThePrimary) {
  Id ann = add_user("ann");
  Id c = add_group({ann});
  append(c, ann, "m1");
  append(c, ann, "m2");
  ASSERT_TRUE(caught_up());
  pause_replay();
  MessageRow acked = append(c, ann, "m3");  // committed; the replica stays at seq 2
  ASSERT_EQ(acked.seq, 3);

  for (std::optional<Seq> after : {std::optional<Seq>(), std::optional<Seq>(0), std::optional<Seq>(2)}) {
    auto page = store_->messages(c, std::nullopt, after, 50);
    ASSERT_TRUE(page.ok()) << page.error().message;
    ASSERT_FALSE(page->empty());
    EXPECT_EQ(page->back().id, acked.id);
  }
  EXPECT_EQ(store_->routing_stats().primary_not_fresh, 3u);
  EXPECT_EQ(store_->routing_stats().replica_reads, 0u);

  // Seqs below 3 are all replayed: scrolling back still uses the replica.
  auto older = store_->messages(c, Seq{3}, std::nullopt, 50);
  ASSERT_TRUE(older.ok());
  ASSERT_EQ(older->size(), 2u);
  EXPECT_EQ(store_->routing_stats().replica_reads, 1u);
  // A page that reaches seq 3 does not.
  auto reaching = store_->messages(c, Seq{4}, std::nullopt, 50);
  ASSERT_TRUE(reaching.ok());
  ASSERT_EQ(reaching->size(), 3u);
  EXPECT_EQ(store_->routing_stats().replica_reads, 1u);

  // The list, too, comes from the primary while the replica is behind it.
  auto list = store_->conversations_of(ann, std::nullopt, 20);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ(list->front().conversation.last_seq, 3);
  EXPECT_EQ(store_->routing_stats().replica_reads, 1u);

  replica_admin_->value("SELECT pg_wal_replay_resume()");
  ASSERT_TRUE(caught_up());
  auto later = store_->messages(c, std::nullopt, Seq{0}, 50);
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(later->size(), 3u);
  EXPECT_EQ(store_->routing_stats().replica_reads, 2u);
}

TEST_F(ReplicaRoutingTest, ANewConversationNotYetReplayedIsReadOnThePrimary) {
  Id ann = add_user("ann");
  ASSERT_TRUE(caught_up());
  pause_replay();
  Id c = add_group({ann});
  append(c, ann, "m1");
  auto page = store_->messages(c, std::nullopt, Seq{0}, 50);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 1u);
  EXPECT_EQ(store_->routing_stats().replica_reads, 0u);
}

class StalledReplicaTest : public ReplicaRoutingTest {
 protected:
  ReplicaRoutingOptions options() const override {
    ReplicaRoutingOptions o = ReplicaRoutingTest::options();
    o.pool_size = 1;
    o.query_timeout_ms = 300;
    o.skip_after_failure_ms = 60'000;
    return o;
  }
};

TEST_F(StalledReplicaTest, IsCutOffAndThePrimaryAnswers) {
  Id ann = add_user("ann");
  Id c = add_group({ann});
  append(c, ann, "m1");
  ASSERT_TRUE(caught_up());
  ASSERT_TRUE(store_->messages(c, std::nullopt, std::nullopt, 50).ok());
  ASSERT_EQ(store_->routing_stats().replica_reads, 1u);
  // The router's replica session (pool of one, below): stop its backend.
  const std::string pid = replica_admin_->value(
      "SELECT pid FROM pg_stat_activity WHERE datname = '" + db_->name() + "' AND application_name = 'parley'");
  ASSERT_FALSE(pid.empty());
  if (::kill(std::stoi(pid), SIGSTOP) != 0) GTEST_SKIP() << "cannot signal the replica's backend (run as its owner or root)";
  auto page = store_->messages(c, std::nullopt, std::nullopt, 50);
  ::kill(std::stoi(pid), SIGCONT);
  ASSERT_TRUE(page.ok()) << page.error().message;
  ASSERT_EQ(page->size(), 1u);
  EXPECT_EQ(store_->routing_stats().replica_reads, 1u);
  EXPECT_EQ(store_->routing_stats().primary_unavailable, 1u);
  // Resting now: the next read does not even try the replica.
  ASSERT_TRUE(store_->messages(c, std::nullopt, std::nullopt, 50).ok());
  EXPECT_EQ(store_->routing_stats().primary_unavailable, 2u);
}

class DownReplicaTest : public ReplicaRoutingTest {
 protected:
  ReplicaRoutingOptions options() const override {
    ReplicaRoutingOptions o = ReplicaRoutingTest::options();
    o.replica_url = "host=127.0.0.1 port=1 dbname=parley user=parley password=parley";  // nothing listens
    return o;
  }
};

TEST_F(DownReplicaTest, EveryReadGoesToThePrimary) {
  Id ann = add_user("ann");
  Id c = add_group({ann});
  append(c, ann, "m1");
  for (int i = 0; i < 3; ++i) {
    auto page = store_->messages(c, std::nullopt, Seq{0}, 50);
    ASSERT_TRUE(page.ok()) << page.error().message;
    EXPECT_EQ(page->size(), 1u);
    auto list = store_->conversations_of(ann, std::nullopt, 20);
    ASSERT_TRUE(list.ok()) << list.error().message;
    EXPECT_EQ(list->size(), 1u);
  }
  EXPECT_EQ(store_->routing_stats().replica_reads, 0u);
  EXPECT_EQ(store_->routing_stats().primary_unavailable, 6u);
}

TEST(OpenStore, AReplicaNeedsAPostgresStoreAndAPostgresUrl) {
  StoreConfig config;
  config.url = "sqlite:/tmp/x.db";
  config.replica_url = "postgres://u:p@h/db";
  auto target = parse_store_url(config);
  ASSERT_TRUE(target.ok());
  Status s = check_replica_url(config, *target);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "invalid_store");
  auto opened = open_store(config);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, "invalid_store");

  config.url = "postgres://u:p@h/db";
  target = parse_store_url(config);
  ASSERT_TRUE(target.ok());
  for (const char* bad : {"sqlite:/tmp/r.db", "mysql://h/db"}) {
    config.replica_url = bad;
    s = check_replica_url(config, *target);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.error().code, "invalid_store") << bad;
  }
  for (const char* good : {"", "postgres://u:p@replica/db", "host=replica dbname=db"}) {
    config.replica_url = good;
    EXPECT_TRUE(check_replica_url(config, *target).ok()) << good;
  }
}

TEST(QueryWatchdog, CutsACallThatOutlivesItsDeadline) {
  if (postgres_test_server_url().empty()) GTEST_SKIP() << "PARLEY_TEST_POSTGRES_URL is not set";
  auto conn = postgres::Connection::connect(with_database(postgres_test_server_url(), "postgres"), 3);
  ASSERT_TRUE(conn.ok()) << conn.error().message;
  postgres::QueryWatchdog dog;
  {
    auto guard = dog.arm(**conn, std::chrono::milliseconds(200));
    auto r = (*conn)->exec("SELECT pg_sleep(30)");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::unavailable);
    EXPECT_TRUE(guard.fired());
  }
  EXPECT_TRUE((*conn)->broken());
  EXPECT_EQ(dog.fired_count(), 1u);
  // A call that ends in time is left alone.
  auto again = postgres::Connection::connect(with_database(postgres_test_server_url(), "postgres"), 3);
  ASSERT_TRUE(again.ok());
  {
    auto guard = dog.arm(**again, std::chrono::milliseconds(5000));
    EXPECT_TRUE((*again)->exec("SELECT 1").ok());
    EXPECT_FALSE(guard.fired());
  }
  EXPECT_FALSE((*again)->broken());
  EXPECT_EQ(dog.fired_count(), 1u);
}

}  // namespace
}  // namespace parley::store::testing
