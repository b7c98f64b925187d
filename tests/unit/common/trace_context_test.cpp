// W3C traceparent: the strict parse (spec §3.2 and its rules for future
// versions), the ids we make, the header we send, and the stage timer.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <thread>

#include "common/trace_context.hpp"

namespace parley::trace {
namespace {

constexpr const char* kValid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

TEST(TraceParent, ParsesTheSpecExample) {
  auto parsed = parse_traceparent(kValid);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->version, 0);
  EXPECT_EQ(parsed->trace_id.hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(parsed->parent_id.hex(), "00f067aa0ba902b7");
  EXPECT_EQ(parsed->flags, 1);
}

TEST(TraceParent, RefusesMalformedHeaders) {
  const char* invalid[] = {
      "",
      "00",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0",      // short flags
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-",    // version 00 has nothing after
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-xyz",
      "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",     // separators
      "00-4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7_01",
      "00-4bf92f3577b34da6a3ce929d0e0e473-600f067aa0ba902b7-01",     // field lengths
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902g7-01",     // not hex
      "0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g",
      " 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
  };
  for (const char* text : invalid) EXPECT_FALSE(parse_traceparent(text)) << text;
}

TEST(TraceParent, RefusesUppercaseHex) {
  EXPECT_FALSE(parse_traceparent("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"));
  EXPECT_FALSE(parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01"));
  EXPECT_FALSE(parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0A"));
  EXPECT_FALSE(parse_traceparent("0A-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
}

TEST(TraceParent, RefusesAllZeroIds) {
  EXPECT_FALSE(parse_traceparent("00-00000000000000000000000000000000-00f067aa0ba902b7-01"));
  EXPECT_FALSE(parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"));
}

TEST(TraceParent, VersionFfIsInvalid) {
  EXPECT_FALSE(parse_traceparent("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
}

TEST(TraceParent, FutureVersionsAreReadAsVersion00) {
  auto same_length = parse_traceparent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  ASSERT_TRUE(same_length);
  EXPECT_EQ(same_length->version, 0xcc);
  EXPECT_EQ(same_length->trace_id.hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
  // Later versions may append fields after a '-'.
  auto longer = parse_traceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-ever");
  ASSERT_TRUE(longer);
  EXPECT_EQ(longer->parent_id.hex(), "00f067aa0ba902b7");
  // ...but not run on without one.
  EXPECT_FALSE(parse_traceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x"));
  // The fields a later version shares with 00 are still checked.
  EXPECT_FALSE(parse_traceparent("01-00000000000000000000000000000000-00f067aa0ba902b7-01"));
}

TEST(TraceContext, ContinuesAValidParentWithANewSpan) {
  auto context = continue_or_start(std::string_view(kValid));
  EXPECT_EQ(context.trace_id.hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_TRUE(context.span_id.valid());
  EXPECT_NE(context.span_id.hex(), "00f067aa0ba902b7");
  EXPECT_EQ(context.flags, 1);
  const auto header = format_traceparent(context);
  EXPECT_EQ(header, "00-4bf92f3577b34da6a3ce929d0e0e4736-" + context.span_id.hex() + "-01");
  // What we send parses back.
  auto back = parse_traceparent(header);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->trace_id, context.trace_id);
  EXPECT_EQ(back->parent_id, context.span_id);
}

TEST(TraceContext, PassesOnlyTheSampledFlag) {
  auto context = continue_or_start(std::string_view("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03"));
  EXPECT_EQ(context.flags, 1);
  context = continue_or_start(std::string_view("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-fe"));
  EXPECT_EQ(context.flags, 0);
}

TEST(TraceContext, StartsANewTraceWithoutOrWithAnInvalidHeader) {
  std::set<std::string> seen;
  for (auto header : {std::optional<std::string_view>(), std::optional<std::string_view>("00-zz"),
                      std::optional<std::string_view>("00-00000000000000000000000000000000-00f067aa0ba902b7-01")}) {
    auto context = continue_or_start(header);
    EXPECT_TRUE(context.trace_id.valid());
    EXPECT_TRUE(context.span_id.valid());
    EXPECT_EQ(context.flags, 0);
    EXPECT_TRUE(parse_traceparent(format_traceparent(context)));
    seen.insert(context.trace_id.hex());
  }
  EXPECT_EQ(seen.size(), 3u);
}

TEST(TraceContext, NewIdsAreDistinctAcrossThreads) {
  std::set<std::string> a, b;
  std::thread other([&] {
    for (int i = 0; i < 1000; ++i) b.insert(new_trace_id().hex());
  });
  for (int i = 0; i < 1000; ++i) a.insert(new_trace_id().hex());
  other.join();
  EXPECT_EQ(a.size(), 1000u);
  EXPECT_EQ(b.size(), 1000u);
  for (const auto& id : a) EXPECT_FALSE(b.contains(id));
}

TEST(TraceId, ParsesABareId) {
  auto id = parse_trace_id("4bf92f3577b34da6a3ce929d0e0e4736");
  ASSERT_TRUE(id);
  EXPECT_EQ(id->hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_FALSE(parse_trace_id("4BF92F3577B34DA6A3CE929D0E0E4736"));
  EXPECT_FALSE(parse_trace_id(std::string(32, '0')));
  EXPECT_FALSE(parse_trace_id("4bf92f3577b34da6a3ce929d0e0e473"));
  EXPECT_FALSE(parse_trace_id(""));
}

TEST(TraceScope, SetsAndRestoresTheThreadsTrace) {
  EXPECT_EQ(current_trace(), nullptr);
  const auto outer = new_trace_id();
  {
    TraceScope scope(outer);
    ASSERT_NE(current_trace(), nullptr);
    EXPECT_EQ(*current_trace(), outer);
    const auto inner = new_trace_id();
    {
      TraceScope nested(inner);
      EXPECT_EQ(*current_trace(), inner);
      std::thread([] { EXPECT_EQ(current_trace(), nullptr); }).join();
    }
    EXPECT_EQ(*current_trace(), outer);
    {
      TraceScope cleared(TraceId{});
      EXPECT_EQ(current_trace(), nullptr);
    }
  }
  EXPECT_EQ(current_trace(), nullptr);
}

TEST(StageTimer, RecordsStagesInOrder) {
  const auto t0 = StageTimer::Clock::now();
  auto timer = StageTimer::start_at(t0);
  timer.mark_at("rate_limit", t0 + std::chrono::microseconds(1500));
  timer.mark_at("commit", t0 + std::chrono::microseconds(301500));
  EXPECT_EQ(timer.total(), std::chrono::microseconds(301500));
  EXPECT_EQ(timer.describe(), "total=301.5ms rate_limit=1.5ms commit=300.0ms");
  set_slow_threshold_ms(200);
  EXPECT_TRUE(timer.slow());
  set_slow_threshold_ms(0);
  EXPECT_FALSE(timer.slow());
  set_slow_threshold_ms(400);
  EXPECT_FALSE(timer.slow());
  set_slow_threshold_ms(200);
}

TEST(StageTimer, FoldsStagesBeyondItsCapacityIntoTheLast) {
  const auto t0 = StageTimer::Clock::now();
  auto timer = StageTimer::start_at(t0);
  for (int i = 1; i <= StageTimer::kMaxStages + 2; ++i) timer.mark_at("s", t0 + std::chrono::milliseconds(i));
  EXPECT_EQ(timer.describe(), "total=10.0ms s=1.0ms s=1.0ms s=1.0ms s=1.0ms s=1.0ms s=1.0ms s=1.0ms s=3.0ms");
}

TEST(StageTimer, AnUnstartedTimerIsNeverSlow) {
  StageTimer timer;
  timer.mark("x");
  EXPECT_FALSE(timer.slow());
  EXPECT_EQ(timer.describe(), "total=0.0ms");
}

}  // namespace
}  // namespace parley::trace
