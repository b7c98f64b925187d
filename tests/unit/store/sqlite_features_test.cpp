// SQLite-only parts of the conversation features: the migration of a schema
// version 3 file, the search index switched off and on (search_index.hpp), the
// FTS5 query built from user text, the index (its own file, kept by a thread:
// search_indexer.hpp) exactly in step with messages once caught up, catching up
// after a restart, deletions hidden while it lags, and the search barrier. The behaviour every backend shares is in conformance_features_test.cpp.
#include <sqlite3.h>

#include <algorithm>
#include <future>
#include <thread>

#include "store/sqlite/migrations.hpp"
#include "store/sqlite/search_index.hpp"
#include "store/sqlite/search_indexer.hpp"
#include "store_test_support.hpp"

namespace parley::store::testing {
namespace {

void raw_exec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  std::string message = err != nullptr ? err : "";
  sqlite3_free(err);
  ASSERT_EQ(sqlite3_close(db), SQLITE_OK);
  ASSERT_EQ(rc, SQLITE_OK) << message;
}

std::int64_t raw_int(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  std::int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

// Rows of search.db's index that differ from parley.db's live messages, either
// way (rowid and body). Opens search.db with parley.db attached.
std::int64_t index_mismatches(const std::string& path) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(sqlite::search_db_path(path).c_str(), &db), SQLITE_OK);
  std::string attach = "ATTACH DATABASE '" + path + "' AS p";
  EXPECT_EQ(sqlite3_exec(db, attach.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  const char* sql =
      "SELECT count(*) FROM ("
      " SELECT * FROM (SELECT rowid, body FROM message_search"
      "  EXCEPT SELECT id, body FROM p.messages WHERE deleted_at IS NULL)"
      " UNION ALL"
      " SELECT * FROM (SELECT id, body FROM p.messages WHERE deleted_at IS NULL"
      "  EXCEPT SELECT rowid, body FROM message_search))";
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  std::int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

// In parley.db: the index is never there any more (only in <db>-search.db).
constexpr const char* kSearchObjects =
    "SELECT count(*) FROM sqlite_schema WHERE name LIKE 'message_search%'";

class SqliteFeaturesTest : public GroupOfTwoTest {
 protected:
  std::vector<Id> search_ids(Id user, const std::string& text) {
    SearchQuery q;
    q.user = user;
    q.text = text;
    auto hits = must(store_->search_messages(q));
    std::vector<Id> out;
    for (const auto& h : hits) out.push_back(h.message.id);
    std::sort(out.begin(), out.end());
    return out;
  }
  void reopen_with_barrier(int ms) {
    store_.reset();
    SqliteOptions o = options();
    o.search.barrier_ms = ms;
    open(o);
  }
  void reopen_with_search(bool on) {
    store_.reset();
    SqliteOptions o = options();
    o.search.enabled = on;
    open(o);
  }
  // Once caught up (a search waits for it), the index holds exactly the live
  // messages with their current bodies, and FTS5's own check passes.
  void expect_index_in_step() {
    ASSERT_TRUE(impl().search_indexer_for_test()->wait_caught_up(std::chrono::seconds(30)));
    store_.reset();
    EXPECT_EQ(raw_int(path(), kSearchObjects), 0);
    EXPECT_EQ(index_mismatches(path()), 0);
    raw_exec(sqlite::search_db_path(path()),
             "INSERT INTO message_search (message_search, rank) VALUES ('integrity-check', 1)");
    open();
  }
  sqlite::SearchIndexer& indexer() { return *impl().search_indexer_for_test(); }
};

TEST(FtsQuery, QuotesEveryWordAndMakesTheLastAPrefix) {
  EXPECT_EQ(sqlite::fts_query("hello"), "\"hello\"*");
  EXPECT_EQ(sqlite::fts_query("  Hello,  wor"), "\"Hello\" AND \"wor\"*");
  EXPECT_EQ(sqlite::fts_query("a\"b NEAR(c) -d OR *"), "\"a\" AND \"b\" AND \"NEAR\" AND \"c\" AND \"d\" AND \"OR\"*");
  EXPECT_EQ(sqlite::fts_query("café 日本"), "\"café\" AND \"日本\"*");
  EXPECT_EQ(sqlite::fts_query(""), "");
  EXPECT_EQ(sqlite::fts_query(" \"*()-:^ "), "");
}

TEST_F(SqliteFeaturesTest, SearchWithoutAnyWordFindsNothing) {
  send(g_, me_.id, "something");
  EXPECT_TRUE(search_ids(me_.id, "\"*()").empty());
}

TEST_F(SqliteFeaturesTest, MentionsAreStoredAscendingAndDistinct) {
  UserRow third = add_user("third");
  ASSERT_TRUE(store_->update_conversation(g_, {std::nullopt, {{g_, third.id, MemberRole::member, 0, tick()}}, {}}).ok());
  const Id lo = std::min(you_.id, third.id), hi = std::max(you_.id, third.id);
  MessageRow d = draft(g_, me_.id, "@you @third @you");
  d.mentions = {hi, lo, hi};
  auto sent = must(store_->append_message(d));
  EXPECT_EQ(sent.message.mentions, (std::vector<Id>{lo, hi}));
  EXPECT_EQ(must_find(store_->message_by_id(d.id)).mentions, (std::vector<Id>{lo, hi}));
  auto edited = must(store_->edit_message(d.id, "@third @you", {hi, lo, lo}, tick()));
  EXPECT_EQ(edited.mentions, (std::vector<Id>{lo, hi}));
  EXPECT_EQ(must_find(store_->conversation_summary(g_, you_.id)).mention_count, 1);
}

TEST_F(SqliteFeaturesTest, AVersion3FileMigratesAndOldMessagesCatchUp) {
  store_.reset();
  std::filesystem::remove(path());
  std::string v3;
  for (const auto& step : sqlite::migrations()) {
    if (step.version <= 3) v3 += step.sql;
  }
  raw_exec(path(), "PRAGMA journal_mode = WAL; BEGIN;" + v3 +
                       "PRAGMA user_version = 3;"
                       "INSERT INTO users VALUES (1, 'ann', 'ann', 'a@x', 'a@x', 'Ann', 'ann', 'h', 1, 0);"
                       "INSERT INTO users VALUES (2, 'ben', 'ben', 'b@x', 'b@x', 'Ben', 'ben', 'h', 1, 0);"
                       "INSERT INTO conversations VALUES (7, 'group', 'g', NULL, 1, 1, 3, 9);"
                       "INSERT INTO members VALUES (7, 1, 'admin', 0, 1);"
                       "INSERT INTO members VALUES (7, 2, 'member', 1, 1);"
                       "INSERT INTO messages VALUES (7, 1, 11, 1, 'c1', 5, NULL, 'old hello', 0);"
                       "INSERT INTO messages VALUES (7, 2, 12, 2, 'c2', 6, 8, '', 0);"
                       "INSERT INTO messages VALUES (7, 3, 13, 1, 'c3', 9, NULL, 'old goodbye', 0);"
                       "COMMIT;");
  open();
  EXPECT_EQ(raw_int(path(), "PRAGMA user_version"), sqlite::latest_schema_version());
  EXPECT_EQ(sqlite::latest_schema_version(), 4);
  auto conv = must_find(store_->conversation_by_id(7));
  EXPECT_EQ(conv.last_seq, 3);
  EXPECT_EQ(conv.last_change_seq, 3);
  auto changed = must(store_->changed_messages(7, 0, 10));
  ASSERT_EQ(changed.size(), 3u);
  for (const auto& m : changed) {
    EXPECT_EQ(m.change_seq, m.seq);
    EXPECT_FALSE(m.edited_at);
    EXPECT_FALSE(m.reply_to_id);
    EXPECT_TRUE(m.mentions.empty());
    EXPECT_TRUE(m.reactions.empty());
  }
  EXPECT_EQ(must(store_->changed_messages(7, 2, 10)).size(), 1u);
  EXPECT_FALSE(must_find(store_->membership(7, 2)).muted);
  EXPECT_EQ(must_find(store_->conversation_summary(7, 2)).mention_count, 0);
  // The indexer caught up with the old messages after open (the search waited
  // for it); the deleted one is not in it.
  EXPECT_EQ(search_ids(2, "old"), (std::vector<Id>{11, 13}));
  // Everything works on the migrated file, and the counters go on.
  MessageRow d = draft(7, 2, "@ann a reply");
  d.reply_to_id = 11;
  d.mentions = {1};
  auto sent = must(store_->append_message(d));
  EXPECT_EQ(sent.message.seq, 4);
  EXPECT_EQ(sent.message.change_seq, 4);
  ASSERT_TRUE(sent.message.reply_to);
  EXPECT_EQ(sent.message.reply_to->body, "old hello");
  EXPECT_EQ(must(store_->edit_message(11, "old hello, edited", {}, 20)).change_seq, 5);
  EXPECT_EQ(must(store_->set_reaction(13, 2, "👋", true, 21, 20)).message.change_seq, 6);
  EXPECT_EQ(must_find(store_->conversation_summary(7, 1)).mention_count, 1);
  EXPECT_EQ(search_ids(1, "edited"), (std::vector<Id>{11}));
  expect_index_in_step();
}

TEST_F(SqliteFeaturesTest, IndexOffKeepsNothingAndOnRebuildsIt) {
  MessageRow before = send(g_, me_.id, "written while on");
  reopen_with_search(false);
  EXPECT_EQ(raw_int(path(), kSearchObjects), 0);
  EXPECT_EQ(impl().search_indexer_for_test(), nullptr);  // no indexer: nothing per write
  SearchQuery q;
  q.user = me_.id;
  q.text = "written";
  auto refused = store_->search_messages(q);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::unavailable);
  EXPECT_EQ(refused.error().code, "search_disabled");
  // Writes work without it.
  MessageRow during = send(g_, you_.id, "written while off");
  MessageRow gone = send(g_, you_.id, "written then deleted");
  ASSERT_TRUE(store_->edit_message(before.id, "rewritten while off", {}, tick()).ok());
  ASSERT_TRUE(store_->soft_delete_message(gone.id, tick()).ok());

  reopen_with_search(true);  // the indexer catches up; the searches wait for it
  EXPECT_EQ(search_ids(me_.id, "written"), (std::vector<Id>{during.id}));
  EXPECT_EQ(search_ids(me_.id, "rewritten"), (std::vector<Id>{before.id}));
  EXPECT_TRUE(search_ids(me_.id, "deleted").empty());
  expect_index_in_step();
}

TEST_F(SqliteFeaturesTest, IndexStaysExactlyInStepWithEveryKindOfChange) {
  std::vector<MessageRow> sent;
  for (int i = 0; i < 30; ++i) sent.push_back(send(g_, i % 2 ? me_.id : you_.id, "message number " + std::to_string(i)));
  for (int i = 0; i < 30; i += 3) ASSERT_TRUE(store_->edit_message(sent[i].id, "edited " + std::to_string(i), {}, tick()).ok());
  for (int i = 0; i < 30; i += 4) ASSERT_TRUE(store_->soft_delete_message(sent[i].id, tick()).ok());
  for (int i = 1; i < 30; i += 6) ASSERT_TRUE(store_->set_reaction(sent[i].id, me_.id, "👍", true, tick(), 20).ok());
  // Same body again: no index change.
  ASSERT_TRUE(store_->edit_message(sent[1].id, sent[1].body, {}, tick()).ok());
  expect_index_in_step();
  EXPECT_EQ(search_ids(me_.id, "edited").size(), 10u - 3u);  // 0, 12, 24 were deleted
}

TEST_F(SqliteFeaturesTest, EditsAndDeletionsOfMessagesAppendedInTheSameTransaction) {
  // An edit or a deletion in the transaction that appended the message: the
  // indexer reads the message once, as committed, and the index is exact.
  std::promise<void> gate =
      hold_writer([&](std::unique_ptr<sqlite::WriteJob> job) { return impl().submit_for_test(std::move(job)); });
  MessageRow a = draft(g_, me_.id, "first draft");
  MessageRow b = draft(g_, me_.id, "doomed words");
  MessageRow c = draft(g_, me_.id, "kept words");
  std::vector<std::future<Result<AppendResult>>> sent;
  for (const MessageRow& d : {a, b, c}) {
    auto promise = std::make_shared<std::promise<Result<AppendResult>>>();
    sent.push_back(promise->get_future());
    store_->append_message_async(d, [promise](Result<AppendResult> r) { promise->set_value(std::move(r)); });
  }
  auto edited = std::async(std::launch::async, [&] { return store_->edit_message(a.id, "final text", {}, tick()); });
  auto deleted = std::async(std::launch::async, [&] { return store_->soft_delete_message(b.id, tick()); });
  // Both are queued behind the appends before the writer goes on.
  while (impl().write_queue_depth() < 5) std::this_thread::yield();
  gate.set_value();
  for (auto& f : sent) ASSERT_TRUE(f.get().ok());
  ASSERT_TRUE(edited.get().ok());
  ASSERT_TRUE(deleted.get().ok());
  EXPECT_TRUE(search_ids(me_.id, "draft").empty());
  EXPECT_EQ(search_ids(me_.id, "final"), (std::vector<Id>{a.id}));
  EXPECT_EQ(search_ids(me_.id, "words"), (std::vector<Id>{c.id}));
  // And an edit in a later transaction replaces the committed entry.
  ASSERT_TRUE(store_->edit_message(c.id, "changed again", {}, tick()).ok());
  EXPECT_TRUE(search_ids(me_.id, "words").empty());
  expect_index_in_step();
}

TEST_F(SqliteFeaturesTest, AnOldInFileIndexIsDroppedAtOpen) {
  store_.reset();
  raw_exec(path(), "CREATE VIRTUAL TABLE message_search USING fts5(body, content = 'messages', content_rowid = 'id');"
                   "CREATE TRIGGER message_search_insert AFTER INSERT ON messages BEGIN"
                   " INSERT INTO message_search (rowid, body) VALUES (new.id, new.body); END;");
  ASSERT_GT(raw_int(path(), kSearchObjects), 0);
  open();
  EXPECT_EQ(raw_int(path(), kSearchObjects), 0);
  MessageRow m = send(g_, me_.id, "after the move");
  EXPECT_EQ(search_ids(me_.id, "move"), (std::vector<Id>{m.id}));
}

TEST_F(SqliteFeaturesTest, TheIndexCatchesUpAfterARestartWithALaggingIndex) {
  // A crash between the commit and the indexing: the indexer paused, messages
  // committed, edited and deleted, the store closed without indexing them.
  MessageRow early = send(g_, me_.id, "indexed before the pause");
  EXPECT_EQ(search_ids(me_.id, "pause"), (std::vector<Id>{early.id}));
  indexer().pause_for_test(true);
  MessageRow late = send(g_, you_.id, "committed while lagging");
  ASSERT_TRUE(store_->edit_message(early.id, "indexed then rewritten", {}, tick()).ok());
  MessageRow gone = send(g_, you_.id, "lagging and deleted");
  ASSERT_TRUE(store_->soft_delete_message(gone.id, tick()).ok());
  store_.reset();
  EXPECT_GT(index_mismatches(path()), 0);  // really behind
  open();  // the scan at open finds the lagging conversation
  EXPECT_EQ(search_ids(me_.id, "lagging"), (std::vector<Id>{late.id}));
  EXPECT_EQ(search_ids(me_.id, "rewritten"), (std::vector<Id>{early.id}));
  EXPECT_TRUE(search_ids(me_.id, "pause").empty());
  expect_index_in_step();
}

TEST_F(SqliteFeaturesTest, ADeletionIsNeverShownWhileTheIndexLags) {
  MessageRow m = send(g_, me_.id, "regrettable words");
  MessageRow kept = send(g_, me_.id, "kept words");
  EXPECT_EQ(search_ids(me_.id, "words"), (std::vector<Id>{m.id, kept.id}));
  reopen_with_barrier(0);
  indexer().pause_for_test(true);
  ASSERT_TRUE(store_->soft_delete_message(m.id, tick()).ok());
  // The index still has it (the indexer is paused); the search hides it.
  EXPECT_EQ(search_ids(me_.id, "regrettable"), std::vector<Id>{});
  EXPECT_EQ(search_ids(me_.id, "words"), (std::vector<Id>{kept.id}));
  indexer().pause_for_test(false);
  expect_index_in_step();
}

TEST_F(SqliteFeaturesTest, ASearchWaitsForTheCommitsBeforeItUpToItsBound) {
  reopen_with_barrier(60000);
  EXPECT_TRUE(search_ids(me_.id, "anything").empty());  // the scan at open is done
  indexer().pause_for_test(true);
  MessageRow m = send(g_, me_.id, "fresh news");
  EXPECT_FALSE(indexer().wait_caught_up(std::chrono::milliseconds(50)));  // lagging
  // Resumed while the search waits: it finds the message sent before it.
  auto search = std::async(std::launch::async, [&] { return search_ids(me_.id, "fresh"); });
  EXPECT_EQ(search.wait_for(std::chrono::milliseconds(100)), std::future_status::timeout);  // waiting
  indexer().pause_for_test(false);
  EXPECT_EQ(search.get(), (std::vector<Id>{m.id}));
  // Past its bound (overload), a search answers from what is indexed.
  reopen_with_barrier(0);
  indexer().pause_for_test(true);
  MessageRow later = send(g_, me_.id, "fresh again");
  EXPECT_EQ(search_ids(me_.id, "fresh"), (std::vector<Id>{m.id}));
  indexer().pause_for_test(false);
  reopen_with_barrier(1000);
  EXPECT_EQ(search_ids(me_.id, "fresh"), (std::vector<Id>{m.id, later.id}));
}

TEST_F(SqliteFeaturesTest, ARefusedAsyncAppendInABatchLeavesNoGap) {
  // Held writer: the appends below go into one transaction with a refused reply among them.
  std::promise<void> gate = hold_writer([&](std::unique_ptr<sqlite::WriteJob> job) { return impl().submit_for_test(std::move(job)); });
  std::vector<std::future<Result<AppendResult>>> results;
  for (int i = 0; i < 6; ++i) {
    MessageRow d = draft(g_, me_.id, "batched " + std::to_string(i));
    if (i == 2) d.reply_to_id = 424242;
    if (i == 4) d.mentions = {you_.id};
    auto promise = std::make_shared<std::promise<Result<AppendResult>>>();
    results.push_back(promise->get_future());
    store_->append_message_async(d, [promise](Result<AppendResult> r) { promise->set_value(std::move(r)); });
  }
  gate.set_value();
  std::vector<Seq> changes;
  for (int i = 0; i < 6; ++i) {
    auto r = results[i].get();
    if (i == 2) {
      EXPECT_FALSE(r.ok());
      continue;
    }
    ASSERT_TRUE(r.ok()) << r.error().message;
    changes.push_back(r->message.change_seq);
  }
  EXPECT_EQ(changes, (std::vector<Seq>{1, 2, 3, 4, 5}));
  EXPECT_EQ(must_find(store_->conversation_by_id(g_)).last_change_seq, 5);
  EXPECT_EQ(must_find(store_->conversation_summary(g_, you_.id)).mention_count, 1);
}

}  // namespace
}  // namespace parley::store::testing
