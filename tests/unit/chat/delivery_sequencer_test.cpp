#include "chat/delivery_sequencer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <vector>

namespace parley::chat {
namespace {

// What the sequencer released, in order, per conversation; and the acks
// (`after`) with what had been released when each ran.
struct Released {
  std::mutex mutex;
  std::vector<std::pair<Id, store::Seq>> order;
  std::vector<std::pair<store::Seq, bool>> acks;  // (seq, its delivery had been released before)

  DeliverySequencer::Release release() {
    return [this](cluster::Delivery d) {
      std::lock_guard lock(mutex);
      order.emplace_back(d.conversation_id, d.seq);
    };
  }
  std::vector<store::Seq> seqs(Id conversation) {
    std::lock_guard lock(mutex);
    std::vector<store::Seq> out;
    for (auto [c, s] : order)
      if (c == conversation) out.push_back(s);
    return out;
  }
};

DeliverySequencer::Completion completion(Released& released, Id conversation, store::Seq seq) {
  DeliverySequencer::Completion c;
  c.delivery.event = "new_message";
  c.delivery.payload = std::make_shared<const std::string>("{}");
  c.delivery.conversation_id = conversation;
  c.delivery.seq = seq;
  c.after = [&released, conversation, seq] {
    std::lock_guard lock(released.mutex);
    const bool before = std::find(released.order.begin(), released.order.end(), std::make_pair(conversation, seq)) !=
                        released.order.end();
    released.acks.emplace_back(seq, before);
  };
  return c;
}

// A sequencer whose releases go to `released`, with each step of a test one call.
struct Harness {
  Harness() : sequencer(released.release()) {}
  explicit Harness(std::size_t max_entries) : sequencer(released.release(), max_entries) {}

  // `n` appends of `conversation` begin.
  void begin(Id conversation, int n = 1) {
    for (int i = 0; i < n; ++i) sequencer.begin(conversation);
  }
  // An append of `conversation` completes with `seq`.
  void complete(Id conversation, store::Seq seq) {
    sequencer.complete(conversation, completion(released, conversation, seq));
  }
  // An append of `conversation` failed or was a duplicate: no new seq.
  void complete_without_seq(Id conversation) { sequencer.complete(conversation, std::nullopt); }
  std::vector<store::Seq> seqs(Id conversation) { return released.seqs(conversation); }

  Released released;  // before the sequencer, which releases into it
  DeliverySequencer sequencer;
};

TEST(DeliverySequencer, FirstAppendsAreHeldUntilNothingIsInFlightThenReleasedInSeqOrder) {
  Harness h;
  h.begin(7, 3);
  h.complete(7, 3);
  h.complete(7, 1);
  EXPECT_TRUE(h.seqs(7).empty()) << "the last released seq is unknown: wait for the append in flight";
  h.complete(7, 2);
  EXPECT_EQ(h.seqs(7), (std::vector<store::Seq>{1, 2, 3}));
  EXPECT_EQ(h.sequencer.busy(), 0u);
}

TEST(DeliverySequencer, OnceTheLastSeqIsKnownContiguousRunsGoAtOnce) {
  Harness h;
  h.begin(1);
  h.complete(1, 3);
  EXPECT_EQ(h.seqs(1), (std::vector<store::Seq>{3})) << "alone in flight: released; the last is now 3";
  h.begin(1, 3);
  h.complete(1, 4);
  EXPECT_EQ(h.seqs(1), (std::vector<store::Seq>{3, 4})) << "the next seq goes at once, appends in flight or not";
  h.complete(1, 6);
  EXPECT_EQ(h.seqs(1).back(), 4) << "6 waits for 5";
  h.begin(1);
  h.complete(1, 5);
  EXPECT_EQ(h.seqs(1), (std::vector<store::Seq>{3, 4, 5, 6}));
  h.complete(1, 7);
  EXPECT_EQ(h.seqs(1), (std::vector<store::Seq>{3, 4, 5, 6, 7}));
  EXPECT_EQ(h.sequencer.busy(), 0u);
}

TEST(DeliverySequencer, AGapNoAppendInFlightCanFillDoesNotHoldForever) {
  Harness h;
  h.begin(3);
  h.complete(3, 2);
  h.begin(3);
  h.complete(3, 5);  // 3 and 4 were written elsewhere
  EXPECT_EQ(h.seqs(3), (std::vector<store::Seq>{2, 5}));
  EXPECT_EQ(h.sequencer.busy(), 0u);
}

TEST(DeliverySequencer, FailuresAndDuplicatesReleaseWhatWaitedForThem) {
  Harness h;
  h.begin(4, 2);
  h.complete(4, 1);
  EXPECT_TRUE(h.seqs(4).empty());
  h.complete_without_seq(4);
  EXPECT_EQ(h.seqs(4), (std::vector<store::Seq>{1}));
}

TEST(DeliverySequencer, IdleEntriesAreDroppedWhenFullAndTheRuleStillHolds) {
  Harness h(64);  // 1 idle entry per shard
  for (Id c = 1; c <= 1000; ++c) {
    h.begin(c);
    h.complete(c, 1);
  }
  EXPECT_LE(h.sequencer.tracked(), 64u);
  EXPECT_EQ(h.sequencer.busy(), 0u);
  // Conversation 1's entry is gone: its next appends are held until none is in flight.
  h.begin(1, 2);
  h.complete(1, 3);
  EXPECT_EQ(h.seqs(1), (std::vector<store::Seq>{1}));
  h.complete(1, 2);
  EXPECT_EQ(h.seqs(1), (std::vector<store::Seq>{1, 2, 3}));
}

TEST(DeliverySequencer, ConversationsAreIndependent) {
  Harness h;
  h.begin(1);
  h.begin(2);
  h.begin(1);
  h.complete(2, 1);
  EXPECT_EQ(h.seqs(2), (std::vector<store::Seq>{1})) << "not held by conversation 1's appends";
  h.complete(1, 2);
  h.complete(1, 1);
  EXPECT_EQ(h.seqs(1), (std::vector<store::Seq>{1, 2}));
}

TEST(DeliverySequencer, ShuffledCompletionsFromManyThreadsLeaveInSeqOrderAndAckAfterRelease) {
  constexpr int kConversations = 8;
  constexpr int kPerRound = 400;
  constexpr int kThreads = 6;
  Harness h;
  // Round 0 starts with the last seq unknown; round 1 with it known (the
  // contiguous-run rule, released by whichever thread completes the next seq).
  for (int round = 0; round < 2; ++round) {
    // Every append begins first (as many sends in flight at once), then the
    // completions come in a random order from several threads.
    std::vector<std::pair<Id, store::Seq>> work;
    for (Id c = 1; c <= kConversations; ++c)
      for (store::Seq s = 1; s <= kPerRound; ++s) {
        h.begin(c);
        work.emplace_back(c, round * kPerRound + s);
      }
    std::shuffle(work.begin(), work.end(), std::mt19937(12345 + round));
    std::atomic<std::size_t> next{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
      threads.emplace_back([&] {
        for (std::size_t i; (i = next.fetch_add(1)) < work.size();) {
          auto [c, s] = work[i];
          h.complete(c, s);
        }
      });
    for (auto& t : threads) t.join();
  }
  for (Id c = 1; c <= kConversations; ++c) {
    std::vector<store::Seq> expected(2 * kPerRound);
    for (int i = 0; i < 2 * kPerRound; ++i) expected[static_cast<std::size_t>(i)] = i + 1;
    EXPECT_EQ(h.seqs(c), expected) << "conversation " << c;
  }
  ASSERT_EQ(h.released.acks.size(), static_cast<std::size_t>(2 * kConversations * kPerRound));
  for (auto [seq, before] : h.released.acks) EXPECT_TRUE(before) << "ack of seq " << seq << " before its release";
  EXPECT_EQ(h.sequencer.busy(), 0u);
}

TEST(DeliverySequencer, InterleavedBeginsAndShuffledCompletionsStayInOrder) {
  // Appends begin and complete continuously, as under load: each thread begins
  // an append, and completes a random earlier one of its conversation.
  Harness h;
  constexpr int kThreads = 4;
  constexpr int kRounds = 2000;
  std::mutex mutex;
  store::Seq next_seq = 0;                 // GUARDED_BY(mutex): the store's seq counter
  std::vector<store::Seq> pending;         // GUARDED_BY(mutex): appended, not yet completed
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      std::mt19937 rng(static_cast<unsigned>(t));
      for (int i = 0; i < kRounds; ++i) {
        {
          // begin() then the store assigns a seq: the order Messages follows.
          h.begin(9);
          std::lock_guard lock(mutex);
          pending.push_back(++next_seq);
        }
        std::optional<store::Seq> done;
        {
          std::lock_guard lock(mutex);
          if (!pending.empty() && rng() % 2 == 0) {
            const std::size_t k = rng() % pending.size();
            done = pending[k];
            pending.erase(pending.begin() + static_cast<std::ptrdiff_t>(k));
          }
        }
        if (done) h.complete(9, *done);
      }
    });
  for (auto& t : threads) t.join();
  std::shuffle(pending.begin(), pending.end(), std::mt19937(7));
  for (store::Seq s : pending) h.complete(9, s);
  const auto seqs = h.seqs(9);
  ASSERT_EQ(seqs.size(), static_cast<std::size_t>(kThreads * kRounds));
  for (std::size_t i = 0; i < seqs.size(); ++i) ASSERT_EQ(seqs[i], static_cast<store::Seq>(i + 1)) << "at " << i;
  EXPECT_EQ(h.sequencer.busy(), 0u);
}

}  // namespace
}  // namespace parley::chat
