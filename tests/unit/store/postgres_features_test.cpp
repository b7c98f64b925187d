// The conversation features on the PostgreSQL store (docs/features.md) where
// they depend on this backend: the v3 -> v4 migration of an existing
// database, the search index switched off and on again at open, the batched
// appender storing replies and mentions under concurrency, the change
// sequence under concurrent edits, reactions and deletions, and the query
// text that must never make to_tsquery fail.

#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "postgres_fixture.hpp"
#include "store/postgres/migrations.hpp"
#include "store/postgres/search_indexer.hpp"
#include "store/postgres/search_queries.hpp"

namespace parley::store::testing {
namespace {

// "" when `condition` (SQL) holds on `database`, else the error text.
std::string sql_holds(const std::string& database, const std::string& condition) {
  return run_sql(database, "DO $$ BEGIN IF NOT (" + condition +
                               ") THEN RAISE EXCEPTION 'does not hold'; END IF; END $$");
}

std::string search_index_present() {
  return "(SELECT count(*) FROM pg_class WHERE oid = to_regclass('message_search_tsv')) = 1";
}

class Completions {
 public:
  std::function<void(Result<AppendResult>)> sink() {
    return [this](Result<AppendResult> r) {
      std::lock_guard lock(mu_);
      results_.push_back(std::move(r));
      done_.notify_all();
    };
  }
  std::vector<Result<AppendResult>> wait(std::size_t n) {
    std::unique_lock lock(mu_);
    bool all = done_.wait_for(lock, std::chrono::seconds(60), [&] { return results_.size() >= n; });
    EXPECT_TRUE(all) << "only " << results_.size() << " of " << n << " completions";
    return results_;
  }

 private:
  std::mutex mu_;
  std::condition_variable done_;
  std::vector<Result<AppendResult>> results_;
};

class PostgresFeatures : public PostgresStoreTest {
 protected:
  MessageRow sent(Id conversation, Id sender, const std::string& body) {
    MessageRow d = draft(conversation, sender, "c" + std::to_string(next_id()));
    d.body = body;
    auto r = store_->append_message(d);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? r->message : MessageRow{};
  }
  void reopen(bool search) {
    store_.reset();
    PostgresOptions o;
    o.search.enabled = search;
    auto opened = db_->open(o);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(*opened);
  }
  std::vector<Id> hit_ids(const SearchQuery& q) {
    auto r = store_->search_messages(q);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    std::vector<Id> out;
    if (r.ok()) {
      for (const SearchHit& h : *r) out.push_back(h.message.id);
    }
    return out;
  }
};

TEST(PostgresSearchQuery, QuotesEveryWordAndPrefixesTheLast) {
  using postgres::tsquery_of;
  EXPECT_EQ(tsquery_of("hello wor"), "'hello' & 'wor':*");
  EXPECT_EQ(tsquery_of("  it's  "), "'it' & 's':*");
  EXPECT_EQ(tsquery_of("a&b|!c:*(d)"), "'a' & 'b' & 'c' & 'd':*");
  EXPECT_EQ(tsquery_of("caf\xc3\xa9"), "'caf\xc3\xa9':*");
  EXPECT_EQ(tsquery_of("!!! ... &&"), "");
  EXPECT_EQ(tsquery_of(""), "");
}

TEST_F(PostgresFeatures, HostileQueryTextNeverFailsTheQuery) {
  Id a = add_user("alice");
  Id c = add_group({a});
  MessageRow m = sent(c, a, "it's a \\backslash and a 'quote' in here");
  for (std::string q : {"it's", "'", "\\", "\\backslash", "a' | 'b", "!(", "quote'):*", "'quote'", "&|!<->",
                        "\xf0\x9f\x98\x80", "NULL", "a\\'b", ":*", "*"}) {
    auto r = store_->search_messages(SearchQuery{a, q, std::nullopt, std::nullopt, 20, 0});
    EXPECT_TRUE(r.ok()) << q << ": " << (r.ok() ? "" : r.error().message);
  }
  EXPECT_EQ(hit_ids({a, "backsl", std::nullopt, std::nullopt, 20, 0}), std::vector<Id>{m.id});
  EXPECT_EQ(hit_ids({a, "'QUOTE' it", std::nullopt, std::nullopt, 20, 0}), std::vector<Id>{m.id});
}

TEST_F(PostgresFeatures, SearchRanksMarksAndFollowsMembershipEditsAndDeletes) {
  Id a = add_user("alice");
  Id b = add_user("bob");
  Id shared = add_group({a, b});
  Id bobs = add_group({b});
  MessageRow once = sent(shared, a, "the apple is red");
  MessageRow twice = sent(shared, b, "apple apple pie with apple");
  MessageRow other = sent(shared, a, "nothing here");
  MessageRow hidden = sent(bobs, b, "apple of bob only");
  (void)other;
  // Rank first (more occurrences), then newest.
  EXPECT_EQ(hit_ids({a, "apple", std::nullopt, std::nullopt, 20, 0}), (std::vector<Id>{twice.id, once.id}));
  // Bob sees his own conversation too; Alice never does.
  EXPECT_EQ(hit_ids({b, "appl", bobs, std::nullopt, 20, 0}), std::vector<Id>{hidden.id});
  EXPECT_TRUE(hit_ids({a, "apple", bobs, std::nullopt, 20, 0}).empty());
  // before, limit and offset.
  EXPECT_EQ(hit_ids({a, "apple", std::nullopt, twice.id, 20, 0}), std::vector<Id>{once.id});
  EXPECT_EQ(hit_ids({a, "apple", std::nullopt, std::nullopt, 1, 1}), std::vector<Id>{once.id});
  // Every word, the last as a prefix.
  EXPECT_EQ(hit_ids({a, "red app", std::nullopt, std::nullopt, 20, 0}), std::vector<Id>{once.id});
  EXPECT_TRUE(hit_ids({a, "red pie", std::nullopt, std::nullopt, 20, 0}).empty());

  auto hits = store_->search_messages({a, "red", std::nullopt, std::nullopt, 20, 0});
  ASSERT_TRUE(hits.ok());
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ(hits->front().snippet, std::string("the apple is ") + kSnippetOpen + "red" + kSnippetClose);

  // Text that looks like HTML stays as typed (ts_headline's parser would drop
  // tags), control characters included.
  const std::string html = "use <div> & <b>markup</b> \x01<\x04 &amp; <script>x</script> end";
  MessageRow tagged = sent(shared, a, html);
  hits = store_->search_messages({a, "markup", std::nullopt, std::nullopt, 20, 0});
  ASSERT_TRUE(hits.ok());
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ(hits->front().message.id, tagged.id);
  EXPECT_EQ(hits->front().snippet, "use <div> & <b>" + std::string(1, kSnippetOpen) + "markup" + kSnippetClose +
                                        "</b> \x01<\x04 &amp; <script>x</script> end");

  // A long body: one fragment around the match, "…" where cut.
  std::string long_body;
  for (int i = 0; i < 60; ++i) long_body += "filler" + std::to_string(i) + " ";
  long_body += "needle";
  for (int i = 0; i < 60; ++i) long_body += " tail" + std::to_string(i);
  MessageRow big = sent(shared, a, long_body);
  hits = store_->search_messages({a, "needle", std::nullopt, std::nullopt, 20, 0});
  ASSERT_TRUE(hits.ok());
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ(hits->front().message.id, big.id);
  const std::string& snippet = hits->front().snippet;
  EXPECT_EQ(snippet.rfind("…", 0), 0u) << snippet;
  EXPECT_NE(snippet.find(std::string(1, kSnippetOpen) + "needle" + kSnippetClose), std::string::npos) << snippet;
  EXPECT_EQ(snippet.substr(snippet.size() - std::string("…").size()), "…") << snippet;
  EXPECT_LT(snippet.size(), long_body.size() / 2);

  // An edit replaces the entry; a deletion removes it.
  ASSERT_TRUE(store_->edit_message(once.id, "the pear is green", {}, 9000).ok());
  EXPECT_EQ(hit_ids({a, "apple", std::nullopt, std::nullopt, 20, 0}), std::vector<Id>{twice.id});
  EXPECT_EQ(hit_ids({a, "pear", std::nullopt, std::nullopt, 20, 0}), std::vector<Id>{once.id});
  ASSERT_TRUE(store_->soft_delete_message(twice.id, 9100).ok());
  EXPECT_TRUE(hit_ids({a, "apple", std::nullopt, std::nullopt, 20, 0}).empty());
  // Leaving the conversation: its messages are no longer searchable for her.
  ConversationChange leave;
  leave.remove = {a};
  ASSERT_TRUE(store_->update_conversation(shared, leave).ok());
  EXPECT_TRUE(hit_ids({a, "pear", std::nullopt, std::nullopt, 20, 0}).empty());
}

TEST_F(PostgresFeatures, SearchIndexOffDropsItAndOnRebuildsIt) {
  Id a = add_user("alice");
  Id c = add_group({a});
  MessageRow before = sent(c, a, "written with the index on");
  ASSERT_EQ(sql_holds(db_->name(), search_index_present()), "");

  reopen(false);
  EXPECT_EQ(sql_holds(db_->name(), "NOT " + search_index_present()), "");
  auto off = store_->search_messages({a, "index", std::nullopt, std::nullopt, 20, 0});
  ASSERT_FALSE(off.ok());
  EXPECT_EQ(off.error().kind, ErrorKind::unavailable);
  EXPECT_EQ(off.error().code, "search_disabled");
  // Off empties the index, and no indexer runs while off: no cost per send or edit.
  MessageRow during = sent(c, a, "written while off");
  ASSERT_TRUE(store_->edit_message(before.id, "edited while off", {}, 9000).ok());
  EXPECT_EQ(sql_holds(db_->name(), "(SELECT count(*) FROM message_search) = 0"), "");
  EXPECT_EQ(sql_holds(db_->name(), "(SELECT count(*) FROM search_progress) = 0"), "");
  // Opening again with it off changes nothing.
  reopen(false);
  EXPECT_EQ(sql_holds(db_->name(), "NOT " + search_index_present()), "");

  reopen(true);
  EXPECT_EQ(sql_holds(db_->name(), search_index_present()), "");
  EXPECT_EQ(hit_ids({a, "off", std::nullopt, std::nullopt, 20, 0}), (std::vector<Id>{during.id, before.id}));
  EXPECT_TRUE(hit_ids({a, "index", std::nullopt, std::nullopt, 20, 0}).empty()) << "the old text is gone";
  // And the index is built and valid, usable by the planner (whether it picks
  // it for a tiny table is the planner's business: an EXPLAIN check flaked).
  EXPECT_EQ(sql_holds(db_->name(),
                      "(SELECT indisvalid AND indisready FROM pg_index WHERE indexrelid = to_regclass('message_search_tsv'))"),
            "");
}

TEST_F(PostgresFeatures, TheIndexerFollowsTheChangeSequenceAndALaterStateWins) {
  Id a = add_user("alice");
  Id c = add_group({a});
  MessageRow m = sent(c, a, "first words");
  ASSERT_EQ(hit_ids({a, "first", std::nullopt, std::nullopt, 20, 0}), std::vector<Id>{m.id});
  const std::string id = std::to_string(m.id);
  const std::string conversation = std::to_string(c);
  const std::string progress_is_last = "(SELECT p.change_seq = c.last_change_seq FROM search_progress p"
                                       " JOIN conversations c ON c.id = p.conversation_id WHERE c.id = " +
                                       conversation + ")";
  EXPECT_EQ(sql_holds(db_->name(), progress_is_last), "") << "the barrier waited for it";
  store_.reset();  // its indexer would do what this test does by hand
  auto conn = postgres::Connection::connect(db_->url(), 3);
  ASSERT_TRUE(conn.ok()) << conn.error().message;
  postgres::Connection& db = **conn;

  // An indexer that read the message in a later state (change_seq 1000)
  // committed first: an earlier state, read after, does not replace it.
  ASSERT_EQ(run_sql(db_->name(), "UPDATE message_search SET change_seq = 1000, tsv = to_tsvector('later')"
                                 " WHERE message_id = " + id + "; UPDATE search_progress SET change_seq = 0"),
            "");
  auto more = postgres::index_conversations(db, {c}, 10);
  ASSERT_TRUE(more.ok()) << more.error().message;
  EXPECT_TRUE(more->empty());
  EXPECT_EQ(sql_holds(db_->name(), "(SELECT tsv = to_tsvector('later') FROM message_search WHERE message_id = " + id + ")"),
            "");
  EXPECT_EQ(sql_holds(db_->name(), progress_is_last), "");
  // An older entry is replaced by the message as it is now.
  ASSERT_EQ(run_sql(db_->name(), "UPDATE message_search SET change_seq = 0; UPDATE search_progress SET change_seq = 0"), "");
  ASSERT_TRUE(postgres::index_conversations(db, {c}, 10).ok());
  EXPECT_EQ(sql_holds(db_->name(), "(SELECT tsv = to_tsvector('parley_search', 'first words') FROM message_search"
                                   " WHERE message_id = " + id + ")"),
            "");

  // A conversation further behind than one statement's share comes back as
  // "more", its progress at the newest change read; then at its last_change_seq.
  reopen(true);
  for (int i = 0; i < 4; ++i) sent(c, a, "more " + std::to_string(i));
  store_.reset();
  ASSERT_EQ(run_sql(db_->name(), "DELETE FROM message_search; UPDATE search_progress SET change_seq = 0"), "");
  more = postgres::index_conversations(db, {c}, 2);
  ASSERT_TRUE(more.ok());
  EXPECT_EQ(*more, std::vector<Id>{c});
  EXPECT_EQ(sql_holds(db_->name(), "(SELECT change_seq FROM search_progress WHERE conversation_id = " + conversation +
                                       ") = 2 AND (SELECT count(*) FROM message_search) = 2"),
            "");
  for (int round = 0; round < 3 && !more->empty(); ++round) more = postgres::index_conversations(db, {c}, 2);
  ASSERT_TRUE(more.ok());
  EXPECT_TRUE(more->empty());
  EXPECT_EQ(sql_holds(db_->name(), progress_is_last + " AND (SELECT count(*) FROM message_search) = 5"), "");
  auto behind = postgres::conversations_behind(db);
  ASSERT_TRUE(behind.ok());
  EXPECT_TRUE(behind->empty());

  // A deletion empties the entry (the row stays, its change_seq the guard).
  reopen(true);
  ASSERT_TRUE(store_->soft_delete_message(m.id, 9000).ok());
  EXPECT_TRUE(hit_ids({a, "first", std::nullopt, std::nullopt, 20, 0}).empty());
  EXPECT_EQ(sql_holds(db_->name(), "(SELECT tsv IS NULL FROM message_search WHERE message_id = " + id + ")"), "");
}

TEST_F(PostgresFeatures, ASearchWaitsForItsConversationsToBeIndexedThenAnswersFromTheIndex) {
  Id a = add_user("alice");
  Id c = add_group({a});
  // Each search right after a send finds it.
  for (int i = 0; i < 20; ++i) {
    MessageRow m = sent(c, a, "round" + std::to_string(i) + " marker");
    EXPECT_EQ(hit_ids({a, "round" + std::to_string(i), std::nullopt, std::nullopt, 20, 0}), std::vector<Id>{m.id})
        << i;
  }
  // An indexer that cannot move the conversation's progress (its row locked
  // by another transaction) holds a search only for the barrier, then it
  // answers from the index.
  auto locker = postgres::Connection::connect(db_->url(), 3);
  ASSERT_TRUE(locker.ok());
  ASSERT_TRUE((*locker)->exec("BEGIN").ok());
  ASSERT_TRUE((*locker)->exec(("SELECT * FROM search_progress WHERE conversation_id = " + std::to_string(c) +
                               " FOR UPDATE").c_str())
                  .ok());
  MessageRow late = sent(c, a, "arrives late");
  const auto started = std::chrono::steady_clock::now();
  auto hits = store_->search_messages({a, "marker", std::nullopt, std::nullopt, 50, 0});
  const auto waited = std::chrono::steady_clock::now() - started;
  ASSERT_TRUE(hits.ok()) << hits.error().message;
  EXPECT_EQ(hits->size(), 20u);
  EXPECT_GE(waited, std::chrono::milliseconds(900)) << "the barrier (1 s) was not waited";
  EXPECT_TRUE(hit_ids({a, "late", std::nullopt, std::nullopt, 20, 0}).empty());
  (*locker)->rollback();
  EXPECT_EQ(hit_ids({a, "late", std::nullopt, std::nullopt, 20, 0}), std::vector<Id>{late.id});
}

TEST(PostgresFeaturesMigration, AVersion4DatabaseKeepsItsSearchVectors) {
  TestPostgresDatabase db;
  if (!db.available()) GTEST_SKIP() << db.skip_reason();
  ASSERT_TRUE(db.ok()) << db.error();
  ASSERT_EQ(run_sql(db.name(),
                    "CREATE TABLE parley_schema (version integer PRIMARY KEY, name text NOT NULL,"
                    " applied_at timestamptz NOT NULL DEFAULT now())"),
            "");
  for (const postgres::Migration& m : postgres::migrations()) {
    if (m.version > 4) continue;
    ASSERT_EQ(run_sql(db.name(), m.sql), "") << m.name;
    ASSERT_EQ(run_sql(db.name(), "INSERT INTO parley_schema (version, name) VALUES (" + std::to_string(m.version) +
                                     ", 'old')"),
              "");
  }
  // As a version 4 server left it: vectors kept in the row, the GIN index on them.
  ASSERT_EQ(run_sql(db.name(),
                    "INSERT INTO users (id, username, username_key, email, email_key, display_name,"
                    " display_name_key, password_hash, created_at) VALUES"
                    " (1, 'alice', 'alice', 'a@x', 'a@x', 'Alice', 'alice', 'h', 1);"
                    "INSERT INTO conversations (id, type, title, created_by, created_at, last_seq, last_activity_at,"
                    " last_change_seq) VALUES (10, 'group', 'old', 1, 5, 2, 30, 2);"
                    "INSERT INTO members (conversation_id, user_id, role, last_read_seq, joined_at) VALUES"
                    " (10, 1, 'admin', 0, 5);"
                    "INSERT INTO messages (conversation_id, seq, id, sender_id, client_msg_id, created_at, body,"
                    " change_seq, search_vector) VALUES"
                    " (10, 1, 100, 1, 'a', 10, 'kept words', 1, to_tsvector('parley_search', 'kept words')),"
                    " (10, 2, 101, 1, 'b', 20, 'never indexed', 2, NULL);"
                    "CREATE INDEX messages_search ON messages USING gin (search_vector)"),
            "");
  auto opened = db.open();
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_EQ(sql_holds(db.name(), "(SELECT count(*) FROM information_schema.columns WHERE table_name = 'messages'"
                                 " AND column_name = 'search_vector') = 0"),
            "");
  EXPECT_EQ(sql_holds(db.name(), "to_regclass('messages_search') IS NULL"), "");
  EXPECT_EQ(sql_holds(db.name(), "(SELECT count(*) FROM message_search) = 2"), "") << "moved, and the missing one made";
  EXPECT_EQ(sql_holds(db.name(), search_index_present()), "");
  auto kept = (*opened)->search_messages({1, "kept", std::nullopt, std::nullopt, 20, 0});
  ASSERT_TRUE(kept.ok()) << kept.error().message;
  ASSERT_EQ(kept->size(), 1u);
  EXPECT_EQ(kept->front().message.id, 100);
  auto never = (*opened)->search_messages({1, "never", std::nullopt, std::nullopt, 20, 0});
  ASSERT_TRUE(never.ok());
  EXPECT_EQ(never->size(), 1u);
}

TEST(PostgresFeaturesMigration, AVersion3DatabaseMigratesWithItsData) {
  TestPostgresDatabase db;
  if (!db.available()) GTEST_SKIP() << db.skip_reason();
  ASSERT_TRUE(db.ok()) << db.error();
  // Schema 3 exactly as an older build left it, with data.
  ASSERT_EQ(run_sql(db.name(),
                    "CREATE TABLE parley_schema (version integer PRIMARY KEY, name text NOT NULL,"
                    " applied_at timestamptz NOT NULL DEFAULT now())"),
            "");
  for (const postgres::Migration& m : postgres::migrations()) {
    if (m.version > 3) continue;
    ASSERT_EQ(run_sql(db.name(), m.sql), "") << m.name;
    ASSERT_EQ(run_sql(db.name(), "INSERT INTO parley_schema (version, name) VALUES (" + std::to_string(m.version) +
                                     ", 'old')"),
              "");
  }
  ASSERT_EQ(run_sql(db.name(),
                    "INSERT INTO users (id, username, username_key, email, email_key, display_name,"
                    " display_name_key, password_hash, created_at) VALUES"
                    " (1, 'alice', 'alice', 'a@x', 'a@x', 'Alice', 'alice', 'h', 1),"
                    " (2, 'bob', 'bob', 'b@x', 'b@x', 'Bob', 'bob', 'h', 1);"
                    "INSERT INTO conversations (id, type, title, created_by, created_at, last_seq, last_activity_at)"
                    " VALUES (10, 'group', 'old', 1, 5, 3, 30), (11, 'group', 'empty', 1, 5, 0, 5);"
                    "INSERT INTO members (conversation_id, user_id, role, last_read_seq, joined_at) VALUES"
                    " (10, 1, 'admin', 0, 5), (10, 2, 'member', 1, 5), (11, 1, 'admin', 0, 5);"
                    "INSERT INTO messages (conversation_id, seq, id, sender_id, client_msg_id, created_at, body)"
                    " VALUES (10, 1, 100, 1, 'a', 10, 'old hello'), (10, 2, 101, 2, 'b', 20, 'old world'),"
                    " (10, 3, 102, 1, 'c', 30, '')"),
            "");
  ASSERT_EQ(run_sql(db.name(), "UPDATE messages SET deleted_at = 31 WHERE id = 102"), "");

  auto opened = db.open();
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  Store& store = **opened;
  EXPECT_EQ(sql_holds(db.name(), "(SELECT max(version) FROM parley_schema) = " +
                                     std::to_string(postgres::latest_schema_version())),
            "");
  auto conversation = store.conversation_by_id(10);
  ASSERT_TRUE(conversation.ok() && conversation->has_value());
  EXPECT_EQ((*conversation)->last_change_seq, 3);
  EXPECT_EQ((*store.conversation_by_id(11))->last_change_seq, 0);
  auto changed = store.changed_messages(10, 0, 100);
  ASSERT_TRUE(changed.ok()) << changed.error().message;
  ASSERT_EQ(changed->size(), 3u);
  for (const MessageRow& m : *changed) {
    EXPECT_EQ(m.change_seq, m.seq);
    EXPECT_FALSE(m.edited_at);
    EXPECT_FALSE(m.reply_to_id);
    EXPECT_TRUE(m.mentions.empty());
    EXPECT_TRUE(m.reactions.empty());
  }
  auto member = store.membership(10, 2);
  ASSERT_TRUE(member.ok() && member->has_value());
  EXPECT_FALSE((*member)->muted);
  // The old messages are searchable (the index was built at open), the deleted one is not.
  auto hits = store.search_messages({1, "old", std::nullopt, std::nullopt, 20, 0});
  ASSERT_TRUE(hits.ok()) << hits.error().message;
  EXPECT_EQ(hits->size(), 2u);
  // New changes continue both sequences.
  MessageRow d;
  d.id = 200;
  d.conversation_id = 10;
  d.sender_id = 2;
  d.client_msg_id = "new";
  d.body = "a reply to the first @alice";
  d.created_at = 40;
  d.reply_to_id = 100;
  d.mentions = {1};
  auto appended = store.append_message(d);
  ASSERT_TRUE(appended.ok()) << appended.error().message;
  EXPECT_EQ(appended->message.seq, 4);
  EXPECT_EQ(appended->message.change_seq, 4);
  ASSERT_TRUE(appended->message.reply_to);
  EXPECT_EQ(appended->message.reply_to->body, "old hello");
  auto edited = store.edit_message(101, "old world, edited", {}, 50);
  ASSERT_TRUE(edited.ok()) << edited.error().message;
  EXPECT_EQ(edited->change_seq, 5);
  auto summary = store.conversation_summary(10, 1);
  ASSERT_TRUE(summary.ok() && summary->has_value());
  EXPECT_EQ((*summary)->conversation.last_change_seq, 5);
  EXPECT_EQ((*summary)->mention_count, 1);
}

TEST(PostgresFeaturesMigration, NodesStartingAtOnceMigrateAVersion3DatabaseOnce) {
  TestPostgresDatabase db;
  if (!db.available()) GTEST_SKIP() << db.skip_reason();
  ASSERT_TRUE(db.ok()) << db.error();
  ASSERT_EQ(run_sql(db.name(),
                    "CREATE TABLE parley_schema (version integer PRIMARY KEY, name text NOT NULL,"
                    " applied_at timestamptz NOT NULL DEFAULT now())"),
            "");
  for (const postgres::Migration& m : postgres::migrations()) {
    if (m.version > 3) continue;
    ASSERT_EQ(run_sql(db.name(), m.sql), "") << m.name;
    ASSERT_EQ(run_sql(db.name(), "INSERT INTO parley_schema (version, name) VALUES (" + std::to_string(m.version) +
                                     ", 'old')"),
              "");
  }
  ASSERT_EQ(run_sql(db.name(),
                    "INSERT INTO conversations (id, type, title, created_by, created_at, last_seq, last_activity_at)"
                    " VALUES (10, 'group', 'old', 1, 5, 2, 30);"
                    "INSERT INTO messages (conversation_id, seq, id, sender_id, client_msg_id, created_at, body)"
                    " VALUES (10, 1, 100, 1, 'a', 10, 'one'), (10, 2, 101, 1, 'b', 20, 'two')"),
            "");
  constexpr int nodes = 4;
  std::vector<std::thread> threads;
  std::vector<std::string> errors(nodes);
  for (int i = 0; i < nodes; ++i) {
    threads.emplace_back([&, i] {
      PostgresOptions o;
      o.pool_size = 1;
      o.appenders = 1;
      auto store = db.open(o);
      if (!store.ok()) errors[static_cast<std::size_t>(i)] = store.error().message;
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& e : errors) EXPECT_EQ(e, "");
  EXPECT_EQ(sql_holds(db.name(), "(SELECT count(*) FROM parley_schema WHERE version = 4) = 1"), "");
  EXPECT_EQ(sql_holds(db.name(), "(SELECT count(*) FROM parley_schema WHERE version = 5) = 1"), "");
  EXPECT_EQ(sql_holds(db.name(), "(SELECT count(*) FROM messages WHERE change_seq = seq) = 2"), "");
  EXPECT_EQ(sql_holds(db.name(), "(SELECT last_change_seq FROM conversations WHERE id = 10) = 2"), "");
  EXPECT_EQ(sql_holds(db.name(), search_index_present()), "");
}

TEST_F(PostgresFeatures, BatchedAppendsStoreRepliesAndMentionsUnderConcurrency) {
  Id a = add_user("alice");
  Id b = add_user("bob");
  Id c = add_user("carol");
  std::vector<Id> conversations = {add_group({a, b, c}), add_group({a, b, c})};
  Id elsewhere = add_group({a, b, c});
  std::vector<Id> parents;
  for (Id conv : conversations) parents.push_back(sent(conv, a, "parent").id);
  const Id foreign = sent(elsewhere, a, "not here").id;

  // Threads queue async appends at once so that they share batches: replies to
  // the parent, replies to a message of another conversation (refused), and
  // mentions of bob (and of the sender herself, never counted).
  constexpr int threads = 4;
  constexpr int per_thread = 60;
  Completions completions;
  std::vector<std::thread> senders;
  for (int t = 0; t < threads; ++t) {
    senders.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        const std::size_t k = static_cast<std::size_t>(i % 2);
        MessageRow d = draft(conversations[k], (t % 2 == 0) ? a : c,
                             "t" + std::to_string(t) + "-" + std::to_string(i));
        if (i % 3 == 0) d.reply_to_id = parents[k];
        if (i % 3 == 1) d.reply_to_id = foreign;
        if (i % 4 == 0) d.mentions = {b, d.sender_id, b};
        store_->append_message_async(std::move(d), completions.sink());
      }
    });
  }
  for (auto& s : senders) s.join();
  auto results = completions.wait(threads * per_thread);
  int refused = 0;
  for (const auto& r : results) {
    if (!r.ok()) {
      EXPECT_EQ(r.error().code, "reply_unavailable");
      ++refused;
      continue;
    }
    const MessageRow& m = r->message;
    EXPECT_EQ(m.change_seq, m.seq) << "only appends so far: change_seq follows seq";
    if (m.reply_to_id) {
      ASSERT_TRUE(m.reply_to);
      EXPECT_EQ(m.reply_to->body, "parent");
      EXPECT_EQ(m.reply_to->seq, 1);
    }
    if (!m.mentions.empty()) {
      std::vector<Id> want = {b, m.sender_id};
      std::sort(want.begin(), want.end());
      EXPECT_EQ(m.mentions, want);
    }
  }
  EXPECT_EQ(refused, threads * per_thread / 3);

  std::int64_t mentions_total = 0;
  for (std::size_t k = 0; k < conversations.size(); ++k) {
    auto page = store_->messages(conversations[k], std::nullopt, Seq{0}, 1000);
    ASSERT_TRUE(page.ok()) << page.error().message;
    // Gapless: refused replies took no seq and no change_seq.
    for (std::size_t i = 0; i < page->size(); ++i) {
      EXPECT_EQ((*page)[i].seq, static_cast<Seq>(i + 1));
      EXPECT_EQ((*page)[i].change_seq, static_cast<Seq>(i + 1));
      if ((*page)[i].reply_to_id) {
        ASSERT_TRUE((*page)[i].reply_to) << "pages fill the quote";
        EXPECT_EQ((*page)[i].reply_to->id, parents[k]);
      }
      if (!(*page)[i].mentions.empty()) ++mentions_total;
    }
    auto conv = store_->conversation_by_id(conversations[k]);
    ASSERT_TRUE(conv.ok() && conv->has_value());
    EXPECT_EQ((*conv)->last_change_seq, static_cast<Seq>(page->size()));
    std::int64_t with_mentions = 0;
    for (const MessageRow& m : *page) with_mentions += m.mentions.empty() ? 0 : 1;
    auto summary = store_->conversation_summary(conversations[k], b);
    ASSERT_TRUE(summary.ok() && summary->has_value());
    EXPECT_EQ((*summary)->mention_count, with_mentions);
    auto alice = store_->conversation_summary(conversations[k], a);
    ASSERT_TRUE(alice.ok() && alice->has_value());
    EXPECT_EQ((*alice)->mention_count, 0) << "her own mentions of herself do not count";
    // Reading up to the middle leaves the later mentions.
    const Seq middle = static_cast<Seq>(page->size() / 2);
    std::int64_t later = 0;
    for (const MessageRow& m : *page) {
      if (m.seq > middle && !m.mentions.empty()) ++later;
    }
    auto read = store_->advance_read(conversations[k], b, middle);
    ASSERT_TRUE(read.ok());
    EXPECT_EQ(read->mention_count, later);
  }
  std::int64_t expected = 0;  // stored (not refused) messages with mentions
  for (int i = 0; i < per_thread; ++i) expected += (i % 4 == 0 && i % 3 != 1) ? 1 : 0;
  EXPECT_EQ(mentions_total, expected * threads);
}

TEST_F(PostgresFeatures, ConcurrentChangesTakeDistinctGaplessChangeSeqs) {
  Id a = add_user("alice");
  Id b = add_user("bob");
  Id c = add_group({a, b});
  std::vector<MessageRow> targets;
  for (int i = 0; i < 8; ++i) targets.push_back(sent(c, a, "message " + std::to_string(i)));
  const Seq start = static_cast<Seq>(targets.size());

  // Edits, reactions (some repeats, which take nothing) and deletions at once,
  // with appends going on in the same conversation.
  std::vector<std::thread> workers;
  std::atomic<int> failures{0};
  workers.emplace_back([&] {
    for (int i = 0; i < 30; ++i) {
      if (!store_->edit_message(targets[static_cast<std::size_t>(i % 4)].id, "edit " + std::to_string(i), {b},
                                10000 + i)
               .ok()) {
        ++failures;
      }
    }
  });
  for (Id user : {a, b}) {
    workers.emplace_back([&, user] {
      for (int i = 0; i < 30; ++i) {
        auto r = store_->set_reaction(targets[static_cast<std::size_t>(4 + i % 2)].id, user,
                                      i % 3 == 0 ? "\xf0\x9f\x91\x8d" : "\xe2\x9d\xa4", i % 4 != 3, 20000 + i, 20);
        if (!r.ok()) ++failures;
      }
    });
  }
  workers.emplace_back([&] {
    for (int i = 0; i < 20; ++i) {
      if (!store_->append_message(draft(c, b, "more" + std::to_string(i))).ok()) ++failures;
    }
    for (std::size_t i = 6; i < 8; ++i) {
      if (!store_->soft_delete_message(targets[i].id, 30000).ok()) ++failures;
      if (!store_->soft_delete_message(targets[i].id, 30001).ok()) ++failures;  // a repeat takes nothing
    }
  });
  for (auto& w : workers) w.join();
  EXPECT_EQ(failures.load(), 0);

  auto conv = store_->conversation_by_id(c);
  ASSERT_TRUE(conv.ok() && conv->has_value());
  const Seq last = (*conv)->last_change_seq;
  EXPECT_GT(last, start + 20 + 30 + 2);
  // Every change since the start is the latest change of exactly one message,
  // and the messages' change_seqs are distinct and ascending in the catch-up.
  auto changed = store_->changed_messages(c, 0, 1000);
  ASSERT_TRUE(changed.ok());
  std::set<Seq> seen;
  Seq previous = 0;
  for (const MessageRow& m : *changed) {
    EXPECT_GT(m.change_seq, previous);
    previous = m.change_seq;
    seen.insert(m.change_seq);
  }
  EXPECT_EQ(previous, last);
  EXPECT_EQ(seen.size(), changed->size());
  // The tombstones: no reactions, no mentions, taken once.
  for (std::size_t i = 6; i < 8; ++i) {
    auto tomb = store_->message_by_id(targets[i].id);
    ASSERT_TRUE(tomb.ok() && tomb->has_value());
    EXPECT_EQ((*tomb)->deleted_at, std::optional<TimeMs>(30000));
    EXPECT_TRUE((*tomb)->body.empty());
  }
  // Paging the catch-up returns the same sequence.
  std::vector<Seq> paged;
  Seq cursor = 0;
  for (;;) {
    auto page = store_->changed_messages(c, cursor, 7);
    ASSERT_TRUE(page.ok());
    if (page->empty()) break;
    for (const MessageRow& m : *page) paged.push_back(m.change_seq);
    cursor = page->back().change_seq;
  }
  EXPECT_EQ(paged.size(), changed->size());
}

TEST_F(PostgresFeatures, ReactionsKeepTheOrderOfFirstUseAndCountInPages) {
  Id a = add_user("alice");
  Id b = add_user("bob");
  Id c = add_group({a, b});
  MessageRow m = sent(c, a, "react to me");
  const std::string thumbs = "\xf0\x9f\x91\x8d", heart = "\xe2\x9d\xa4", cat = "\xf0\x9f\x90\xb1";
  ASSERT_TRUE(store_->set_reaction(m.id, b, heart, true, 1, 20).ok());
  ASSERT_TRUE(store_->set_reaction(m.id, a, thumbs, true, 2, 20).ok());
  ASSERT_TRUE(store_->set_reaction(m.id, a, heart, true, 3, 20).ok());
  // Heart keeps its place (first used) while any heart remains.
  ASSERT_TRUE(store_->set_reaction(m.id, b, heart, false, 4, 20).ok());
  ASSERT_TRUE(store_->set_reaction(m.id, b, heart, true, 5, 20).ok());
  auto too_many = store_->set_reaction(m.id, b, cat, true, 6, 2);
  ASSERT_FALSE(too_many.ok());
  EXPECT_EQ(too_many.error().code, "too_many_reactions");
  EXPECT_TRUE(store_->set_reaction(m.id, b, thumbs, true, 7, 2).ok()) << "an existing emoji may always be added";

  auto page = store_->messages(c, std::nullopt, std::nullopt, 10);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 1u);
  const auto& reactions = page->front().reactions;
  ASSERT_EQ(reactions.size(), 2u);
  EXPECT_EQ(reactions[0].emoji, heart);
  EXPECT_EQ(reactions[0].user_ids, (std::vector<Id>{a, b}));
  EXPECT_EQ(reactions[1].emoji, thumbs);
  EXPECT_EQ(reactions[1].user_ids, (std::vector<Id>{a, b}));
  // Once every heart is gone, a new one comes after thumbs.
  ASSERT_TRUE(store_->set_reaction(m.id, a, heart, false, 8, 20).ok());
  ASSERT_TRUE(store_->set_reaction(m.id, b, heart, false, 9, 20).ok());
  auto again = store_->set_reaction(m.id, a, heart, true, 10, 20);
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(again->message.reactions.size(), 2u);
  EXPECT_EQ(again->message.reactions[0].emoji, thumbs);
  EXPECT_EQ(again->message.reactions[1].emoji, heart);
  // The summary's last message carries them too.
  auto summary = store_->conversation_summary(c, b);
  ASSERT_TRUE(summary.ok() && summary->has_value() && (*summary)->last_message);
  EXPECT_EQ((*summary)->last_message->reactions.size(), 2u);
}

TEST_F(PostgresFeatures, SearchFoldsCaseAndAccentsAndMarksTheOriginalText) {
  Id a = add_user("alice");
  Id c = add_group({a});
  MessageRow m = sent(c, a, "Crème brûlée at the CAFÉ");
  EXPECT_EQ(hit_ids({a, "creme", std::nullopt, std::nullopt, 20, 0}), std::vector<Id>{m.id});
  EXPECT_EQ(hit_ids({a, "brûlée caf", std::nullopt, std::nullopt, 20, 0}), std::vector<Id>{m.id});
  auto hits = store_->search_messages({a, "cafe", std::nullopt, std::nullopt, 20, 0});
  ASSERT_TRUE(hits.ok());
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_NE(hits->front().snippet.find(std::string(1, kSnippetOpen) + "CAFÉ" + kSnippetClose),
            std::string::npos)
      << hits->front().snippet;
}

}  // namespace
}  // namespace parley::store::testing
