// The per-thread timer wheel: deadlines rounded down to a tick, never late, callbacks free
// to schedule and cancel.
#include <gtest/gtest.h>

#include <functional>
#include <vector>

#include "realtime/io/timer_wheel.hpp"

namespace parley::realtime {
namespace {

using Clock = TimerWheel::Clock;
using std::chrono::milliseconds;

struct TestTimer final : TimerNode {
  std::function<void()> action;
  int fired = 0;
  void on_timer() override {
    ++fired;
    if (action) action();
  }
};

TEST(TimerWheel, FiresAtTheTickOfTheDeadlineNeverLater) {
  const auto t0 = Clock::now();
  TimerWheel wheel(milliseconds(10), t0, 16);
  TestTimer timer;
  wheel.schedule(timer, t0 + milliseconds(55));
  EXPECT_TRUE(timer.timer_scheduled());
  EXPECT_EQ(wheel.advance(t0 + milliseconds(49)), 0u);
  EXPECT_EQ(timer.fired, 0);
  EXPECT_EQ(wheel.advance(t0 + milliseconds(50)), 1u);  // up to one tick early
  EXPECT_EQ(timer.fired, 1);
  EXPECT_FALSE(timer.timer_scheduled());
  EXPECT_TRUE(wheel.empty());
}

TEST(TimerWheel, DeadlinesBeyondOneRevolutionWait) {
  const auto t0 = Clock::now();
  TimerWheel wheel(milliseconds(10), t0, 8);  // one revolution = 80 ms
  TestTimer timer;
  wheel.schedule(timer, t0 + milliseconds(250));
  for (int ms = 10; ms < 250; ms += 10) {
    wheel.advance(t0 + milliseconds(ms));
    ASSERT_EQ(timer.fired, 0) << ms;
  }
  wheel.advance(t0 + milliseconds(250));
  EXPECT_EQ(timer.fired, 1);
}

TEST(TimerWheel, AStallFiresEverythingDue) {
  const auto t0 = Clock::now();
  TimerWheel wheel(milliseconds(10), t0, 8);
  std::vector<TestTimer> timers(20);
  for (std::size_t i = 0; i < timers.size(); ++i) wheel.schedule(timers[i], t0 + milliseconds(10 * (i + 1)));
  wheel.advance(t0 + milliseconds(155));
  for (std::size_t i = 0; i < timers.size(); ++i) EXPECT_EQ(timers[i].fired, i < 15 ? 1 : 0) << i;
  wheel.advance(t0 + milliseconds(1000));
  for (auto& timer : timers) EXPECT_EQ(timer.fired, 1);
}

TEST(TimerWheel, CancelRescheduleAndDestroy) {
  const auto t0 = Clock::now();
  TimerWheel wheel(milliseconds(10), t0, 16);
  TestTimer a, b;
  wheel.schedule(a, t0 + milliseconds(30));
  wheel.schedule(b, t0 + milliseconds(30));
  a.cancel_timer();
  wheel.schedule(b, t0 + milliseconds(60));  // moves it
  EXPECT_EQ(wheel.size(), 1u);
  wheel.advance(t0 + milliseconds(40));
  EXPECT_EQ(a.fired + b.fired, 0);
  {
    TestTimer c;
    wheel.schedule(c, t0 + milliseconds(50));
    EXPECT_EQ(wheel.size(), 2u);
  }  // destroyed while scheduled: unlinks itself
  EXPECT_EQ(wheel.size(), 1u);
  wheel.advance(t0 + milliseconds(70));
  EXPECT_EQ(b.fired, 1);
}

TEST(TimerWheel, CallbacksMayRescheduleThemselvesAndCancelOthers) {
  const auto t0 = Clock::now();
  TimerWheel wheel(milliseconds(10), t0, 16);
  TestTimer periodic, victim;
  auto now = t0;
  periodic.action = [&] { wheel.schedule(periodic, now + milliseconds(20)); victim.cancel_timer(); };
  wheel.schedule(periodic, t0 + milliseconds(20));
  wheel.schedule(victim, t0 + milliseconds(20));  // same slot, after periodic
  for (int ms = 10; ms <= 100; ms += 10) {
    now = t0 + milliseconds(ms);
    wheel.advance(now);
  }
  EXPECT_EQ(victim.fired, 0);
  EXPECT_EQ(periodic.fired, 5);
  // A deadline already past fires at the next tick.
  TestTimer late;
  wheel.schedule(late, t0);
  wheel.advance(now + milliseconds(10));
  EXPECT_EQ(late.fired, 1);
}

}  // namespace
}  // namespace parley::realtime
