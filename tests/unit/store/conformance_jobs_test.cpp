// Durable jobs (docs/media.md, "Background work"): one job per (kind,
// subject), claims as leases (a held lease is not claimed again, an expired
// one is), retries, reschedules, and concurrent claimers never sharing a job
// (on PostgreSQL each thread on its own pooled connection, so the claims
// really race: FOR UPDATE SKIP LOCKED). Every backend (conformance_fixture.hpp).
#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "conformance_fixture.hpp"

namespace parley::store::testing {
namespace {

class ConformanceJobs : public ConformanceTest {
 protected:
  static constexpr TimeMs t0 = 1767225600000;
  static constexpr TimeMs minute = 60000;

  JobRow job(const std::string& kind, Id subject, TimeMs run_after) {
    JobRow j;
    j.id = ids_.next();
    j.kind = kind;
    j.subject_id = subject;
    j.run_after = run_after;
    j.created_at = t0;
    return j;
  }

  JobRow enqueue(const std::string& kind, Id subject, TimeMs run_after) {
    JobRow j = job(kind, subject, run_after);
    Status s = store_->enqueue_job(j);
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    return j;
  }

  std::optional<JobRow> claim(const std::vector<std::string>& kinds, TimeMs now, TimeMs lease = minute) {
    return must(store_->claim_job(kinds, now, now + lease));
  }
};
CONFORMANCE_OVER_ALL_BACKENDS(ConformanceJobs);

TEST_P(ConformanceJobs, OneJobPerKindAndSubject) {
  JobRow first = enqueue("preview", 7, t0);
  JobRow same = job("preview", 7, t0 - minute);
  ASSERT_TRUE(store_->enqueue_job(same).ok());  // exists: nothing changes, success
  enqueue("preview", 8, t0 + 1);
  enqueue("media_sweep", 7, t0 + 2);  // another kind, same subject: a job of its own

  auto a = claim({"preview", "media_sweep"}, t0 + 10);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->id, first.id);  // the first one stayed, with its run_after
  EXPECT_EQ(a->run_after, t0);
  auto b = claim({"preview", "media_sweep"}, t0 + 10);
  auto c = claim({"preview", "media_sweep"}, t0 + 10);
  ASSERT_TRUE(b && c);
  EXPECT_EQ(b->subject_id, 8);
  EXPECT_EQ(c->kind, "media_sweep");
  EXPECT_FALSE(claim({"preview", "media_sweep"}, t0 + 10));
}

TEST_P(ConformanceJobs, ClaimTakesTheEarliestRunnableJobOfTheKindsAsked) {
  JobRow later = enqueue("preview", 1, t0 + 5 * minute);
  JobRow sweep = enqueue("media_sweep", 0, t0 - 2 * minute);
  JobRow soon = enqueue("preview", 2, t0 - minute);
  EXPECT_FALSE(claim({}, t0));
  EXPECT_FALSE(claim({"other"}, t0));

  auto got = claim({"preview"}, t0, 30000);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->id, soon.id);  // the sweep is earlier, but not asked for
  EXPECT_EQ(got->kind, "preview");
  EXPECT_EQ(got->subject_id, 2);
  EXPECT_EQ(got->attempts, 1);
  EXPECT_EQ(got->leased_until, t0 + 30000);
  EXPECT_EQ(got->created_at, t0);
  // `later` is not due yet.
  EXPECT_FALSE(claim({"preview"}, t0));
  ASSERT_TRUE(store_->complete_job(soon.id).ok());  // else its lapsed lease makes it the earliest again
  auto due = claim({"preview"}, t0 + 5 * minute);
  ASSERT_TRUE(due);
  EXPECT_EQ(due->id, later.id);
  auto s = claim({"media_sweep", "preview"}, t0);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->id, sweep.id);
}

TEST_P(ConformanceJobs, AHeldLeaseIsNotClaimedAgainAnExpiredOneIs) {
  JobRow j = enqueue("preview", 1, t0);
  auto first = claim({"preview"}, t0, minute);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->attempts, 1);
  // Held: nobody else gets it, right up to the end of the lease.
  EXPECT_FALSE(claim({"preview"}, t0 + 1));
  EXPECT_FALSE(claim({"preview"}, t0 + minute - 1));
  // The holder died: once the lease ran out another claims it.
  auto second = claim({"preview"}, t0 + minute, minute);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->id, j.id);
  EXPECT_EQ(second->attempts, 2);
  EXPECT_EQ(second->leased_until, t0 + 2 * minute);
  EXPECT_FALSE(claim({"preview"}, t0 + minute + 1));
}

TEST_P(ConformanceJobs, CompleteRetryAndReschedule) {
  JobRow j = enqueue("preview", 1, t0);
  ASSERT_TRUE(claim({"preview"}, t0));
  // A failed attempt: released, runnable again from run_after, error kept.
  ASSERT_TRUE(store_->retry_job(j.id, t0 + 10 * minute, "libvips: out of memory").ok());
  EXPECT_FALSE(claim({"preview"}, t0 + 10 * minute - 1));
  auto again = claim({"preview"}, t0 + 10 * minute);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->attempts, 2);
  EXPECT_EQ(again->last_error, "libvips: out of memory");
  ASSERT_TRUE(store_->complete_job(j.id).ok());
  EXPECT_FALSE(claim({"preview"}, t0 + 100 * minute));
  // Gone already (another holder finished it): still a success.
  EXPECT_TRUE(store_->complete_job(j.id).ok());
  EXPECT_TRUE(store_->retry_job(j.id, t0, "late").ok());
  EXPECT_FALSE(claim({"preview"}, t0 + 100 * minute));

  // The recurring sweep: rescheduled, its attempts start over.
  JobRow sweep = enqueue("media_sweep", 0, t0);
  ASSERT_TRUE(claim({"media_sweep"}, t0));
  ASSERT_TRUE(store_->retry_job(sweep.id, t0 + 1, "blob store away").ok());
  ASSERT_EQ(claim({"media_sweep"}, t0 + 1)->attempts, 2);
  ASSERT_TRUE(store_->reschedule_job(sweep.id, t0 + 60 * minute).ok());
  EXPECT_FALSE(claim({"media_sweep"}, t0 + 60 * minute - 1));
  auto next = claim({"media_sweep"}, t0 + 60 * minute);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->attempts, 1);
  EXPECT_EQ(next->last_error, "");
}

TEST_P(ConformanceJobs, ConcurrentClaimersNeverGetTheSameJob) {
  constexpr int jobs = 120;
  constexpr int threads = 6;
  std::map<Id, int> subjects;  // job id -> subject
  for (int i = 0; i < jobs; ++i) subjects[enqueue("preview", 1000 + i, t0 + i % 7).id] = 1000 + i;

  std::mutex mu;
  std::map<Id, int> claimed_by;  // job id -> thread
  std::vector<int> duplicates(threads, 0), failures(threads, 0);
  std::atomic<bool> go{false};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      while (!go.load()) std::this_thread::yield();
      for (;;) {
        // Leases far longer than the test: nothing is claimed twice legitimately.
        auto r = store_->claim_job({"preview"}, t0 + minute, t0 + 1000 * minute);
        if (!r.ok()) {
          failures[t]++;
          if (failures[t] > 20) return;
          continue;
        }
        if (!*r) return;  // none left
        std::lock_guard lock(mu);
        if (!claimed_by.emplace((*r)->id, t).second) duplicates[t]++;
      }
    });
  }
  go = true;
  for (auto& th : pool) th.join();
  for (int t = 0; t < threads; ++t) {
    EXPECT_EQ(duplicates[t], 0) << "thread " << t << " got a job another thread held";
    EXPECT_EQ(failures[t], 0) << "thread " << t;
  }
  EXPECT_EQ(claimed_by.size(), static_cast<std::size_t>(jobs));
  for (const auto& [id, t] : claimed_by) EXPECT_TRUE(subjects.count(id)) << id;
  EXPECT_FALSE(claim({"preview"}, t0 + minute));
}

}  // namespace
}  // namespace parley::store::testing
