// Many threads at once, through the Store interface only: seqs stay gapless
// and unique per conversation, racing retries store one message, readers never
// see a gap or go back in time, and every asynchronous append completes exactly
// once (in no promised order). Every backend (conformance_fixture.hpp).
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "conformance_fixture.hpp"

namespace parley::store::testing {
namespace {

class ConformanceConcurrency : public ConformanceTest {};
CONFORMANCE_OVER_ALL_BACKENDS(ConformanceConcurrency);

// Seqs of each conversation, sorted, must be exactly 1..n.
void expect_one_to_n(const std::map<Id, std::vector<Seq>>& by_conversation) {
  for (const auto& [conversation, unsorted] : by_conversation) {
    std::vector<Seq> got = unsorted;
    std::sort(got.begin(), got.end());
    for (std::size_t i = 0; i < got.size(); ++i) {
      ASSERT_EQ(got[i], static_cast<Seq>(i + 1)) << "conversation " << conversation << ": a gap or a repeat";
    }
  }
}

TEST_P(ConformanceConcurrency, ConcurrentSendersToFewConversationsGetGaplessSeqs) {
  constexpr int threads = 8;
  constexpr int per_thread = 90;
  constexpr int conversations = 3;
  std::vector<UserRow> users;
  for (int i = 0; i < threads; ++i) users.push_back(add_user("user" + std::to_string(i)));
  std::vector<Id> others;
  for (int i = 1; i < threads; ++i) others.push_back(users[i].id);
  std::vector<Id> groups;
  for (int c = 0; c < conversations; ++c) groups.push_back(add_group(users[0].id, others, "g" + std::to_string(c)));

  // got[t][c]: the seqs thread t was given in conversation c, in sending order.
  std::vector<std::vector<std::vector<Seq>>> got(threads, std::vector<std::vector<Seq>>(conversations));
  std::vector<int> failures(threads, 0);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        const int c = (i + t) % conversations;
        auto r = store_->append_message(
            draft(groups[c], users[t].id, "m", "t" + std::to_string(t) + "-" + std::to_string(i)));
        if (r.ok() && r->created) {
          got[t][c].push_back(r->message.seq);
        } else {
          failures[t]++;
        }
      }
    });
  }
  for (auto& th : pool) th.join();

  std::map<Id, std::vector<Seq>> by_conversation;
  for (int t = 0; t < threads; ++t) {
    EXPECT_EQ(failures[t], 0) << "thread " << t;
    for (int c = 0; c < conversations; ++c) {
      // One sender's messages keep their order: each append returned before the next.
      EXPECT_TRUE(std::is_sorted(got[t][c].begin(), got[t][c].end()));
      by_conversation[groups[c]].insert(by_conversation[groups[c]].end(), got[t][c].begin(), got[t][c].end());
    }
  }
  expect_one_to_n(by_conversation);
  constexpr int per_conversation = threads * per_thread / conversations;
  for (Id g : groups) {
    ASSERT_EQ(by_conversation[g].size(), static_cast<std::size_t>(per_conversation));
    EXPECT_EQ(must_find(store_->conversation_by_id(g)).last_seq, per_conversation);
    auto page = must(store_->messages(g, std::nullopt, std::nullopt, 1000));
    ASSERT_EQ(page.size(), static_cast<std::size_t>(per_conversation));
    for (std::size_t i = 0; i < page.size(); ++i) {
      ASSERT_EQ(page[i].seq, static_cast<Seq>(i + 1));
      ASSERT_EQ(page[i].conversation_id, g);
    }
  }
}

TEST_P(ConformanceConcurrency, RacingRetriesStoreOneMessage) {
  UserRow a = add_user("ann");
  Id g = add_group(a.id, {});
  constexpr int n = 16;
  std::vector<Result<AppendResult>> results;
  std::mutex mu;
  std::vector<std::thread> pool;
  for (int i = 0; i < n; ++i) {
    pool.emplace_back([&] {
      auto r = store_->append_message(draft(g, a.id, "same", "dup-1"));
      std::lock_guard lock(mu);
      results.push_back(std::move(r));
    });
  }
  for (auto& t : pool) t.join();
  ASSERT_EQ(results.size(), static_cast<std::size_t>(n));
  int created = 0;
  std::set<Id> ids;
  for (auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.error().message;
    created += r->created;
    ids.insert(r->message.id);
    EXPECT_EQ(r->message.seq, 1);
    EXPECT_EQ(r->message.body, "same");
  }
  EXPECT_EQ(created, 1);
  EXPECT_EQ(ids.size(), 1u);
  EXPECT_EQ(must_find(store_->conversation_by_id(g)).last_seq, 1);
  EXPECT_EQ(must(store_->messages(g, std::nullopt, std::nullopt, 10)).size(), 1u);
}

TEST_P(ConformanceConcurrency, ReadersSeeConsistentPagesDuringWrites) {
  UserRow a = add_user("ann");
  Id g = add_group(a.id, {});
  std::atomic<bool> writing{true};
  std::atomic<int> bad{0};
  std::atomic<int> failed_reads{0};
  std::atomic<int> reads{0};
  std::thread writer([&] {
    for (int i = 0; i < 400; ++i) (void)store_->append_message(draft(g, a.id, "w" + std::to_string(i)));
    writing = false;
  });
  std::vector<std::thread> readers;
  for (int r = 0; r < 4; ++r) {
    readers.emplace_back([&] {
      Seq last_seen = 0;
      while (writing) {
        // Not must(): a throw on this thread would end the process, not the test.
        auto read = store_->messages(g, std::nullopt, std::nullopt, 50);
        if (!read) {
          failed_reads++;
          continue;
        }
        const auto& page = *read;
        for (std::size_t i = 1; i < page.size(); ++i) {
          if (page[i].seq != page[i - 1].seq + 1) bad++;
        }
        Seq newest = page.empty() ? 0 : page.back().seq;
        if (newest < last_seen) bad++;  // never goes back in time
        last_seen = newest;
        auto c = store_->conversation_by_id(g);
        if (!c) {
          failed_reads++;
          continue;
        }
        if (!*c || (*c)->last_seq < newest) bad++;
        reads++;
      }
    });
  }
  writer.join();
  for (auto& t : readers) t.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(failed_reads.load(), 0);
  EXPECT_GT(reads.load(), 0);
  EXPECT_EQ(must_find(store_->conversation_by_id(g)).last_seq, 400);
}

// Completions promise no order (store.hpp), so this checks only what is
// promised: every append's `done` runs exactly once, with its own outcome.
TEST_P(ConformanceConcurrency, AsyncAppendsCompleteExactlyOnceEach) {
  constexpr int threads = 4;
  constexpr int per_thread = 150;
  constexpr int conversations = 3;
  UserRow a = add_user("ann");
  UserRow b = add_user("ben");
  UserRow outsider = add_user("out");
  std::vector<Id> groups;
  for (int c = 0; c < conversations; ++c) groups.push_back(add_group(a.id, {b.id}, "g" + std::to_string(c)));

  // Shared with the callbacks, which may (wrongly) come late or twice.
  struct Outcomes {
    std::mutex mu;
    std::condition_variable all_done;
    std::map<Id, int> calls;  // by draft id
    std::map<Id, Result<AppendResult>> results;
    int completed = 0;
  };
  auto outcomes = std::make_shared<Outcomes>();
  std::vector<std::vector<MessageRow>> drafts(threads);
  for (int t = 0; t < threads; ++t) {
    for (int i = 0; i < per_thread; ++i) {
      // Every tenth from someone who is not a member: it must fail, once.
      const Id sender = i % 10 == 9 ? outsider.id : (i % 2 ? a.id : b.id);
      drafts[t].push_back(draft(groups[(i + t) % conversations], sender, "a" + std::to_string(i)));
    }
  }
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (const MessageRow& d : drafts[t]) {
        const Id id = d.id;
        store_->append_message_async(d, [outcomes, id](Result<AppendResult> r) {
          std::lock_guard lock(outcomes->mu);
          if (outcomes->calls[id]++ == 0) outcomes->results.emplace(id, std::move(r));
          outcomes->completed++;
          outcomes->all_done.notify_all();
        });
      }
    });
  }
  for (auto& th : pool) th.join();
  constexpr int total = threads * per_thread;
  {
    std::unique_lock lock(outcomes->mu);
    ASSERT_TRUE(outcomes->all_done.wait_for(lock, std::chrono::seconds(60),
                                            [&] { return outcomes->completed >= total; }))
        << outcomes->completed << " of " << total << " appends completed";
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // room for a wrong second call
  std::lock_guard lock(outcomes->mu);
  EXPECT_EQ(outcomes->completed, total);
  ASSERT_EQ(outcomes->calls.size(), static_cast<std::size_t>(total));

  std::map<Id, std::vector<Seq>> by_conversation;
  for (const auto& per : drafts) {
    for (const MessageRow& d : per) {
      EXPECT_EQ(outcomes->calls[d.id], 1) << "draft " << d.id;
      const Result<AppendResult>& r = outcomes->results.at(d.id);
      if (d.sender_id == outsider.id) {
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error().kind, ErrorKind::not_found);
        continue;
      }
      ASSERT_TRUE(r.ok()) << r.error().message;
      EXPECT_TRUE(r->created);
      EXPECT_EQ(r->message.id, d.id);  // its own outcome, not another append's
      EXPECT_EQ(r->message.body, d.body);
      EXPECT_EQ(r->message.conversation_id, d.conversation_id);
      by_conversation[d.conversation_id].push_back(r->message.seq);
    }
  }
  expect_one_to_n(by_conversation);
  std::size_t stored = 0;
  for (Id g : groups) {
    const auto n = by_conversation[g].size();
    stored += n;
    EXPECT_EQ(must_find(store_->conversation_by_id(g)).last_seq, static_cast<Seq>(n));
  }
  EXPECT_EQ(stored, static_cast<std::size_t>(total - total / 10));
}

}  // namespace
}  // namespace parley::store::testing
