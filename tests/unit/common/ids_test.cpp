#include "common/ids.hpp"

#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

namespace parley {
namespace {

TEST(IdGenerator, StrictlyIncreasingAndUniqueAcrossThreads) {
  IdGenerator ids(7);
  std::vector<std::vector<Id>> per_thread(4);
  std::vector<std::thread> threads;
  for (auto& out : per_thread)
    threads.emplace_back([&ids, &out] {
      for (int i = 0; i < 20000; ++i) out.push_back(ids.next());
    });
  for (auto& t : threads) t.join();
  std::set<Id> all;
  for (const auto& out : per_thread) {
    for (std::size_t i = 1; i < out.size(); ++i) EXPECT_LT(out[i - 1], out[i]);
    all.insert(out.begin(), out.end());
  }
  EXPECT_EQ(all.size(), 80000u);
}

TEST(IdGenerator, CarriesTheNodeId) {
  IdGenerator a(1), b(2);
  const Id x = a.next(), y = b.next();
  EXPECT_EQ((x >> IdGenerator::sequence_bits) & 1023, 1);
  EXPECT_EQ((y >> IdGenerator::sequence_bits) & 1023, 2);
  EXPECT_NE(x, y);
}

TEST(IdGenerator, AFullMillisecondNeverSpillsIntoAnotherNodesIds) {
  // A floor far ahead of the clock: every id below comes from one "frozen"
  // millisecond, so the sequence wraps many times.
  const std::int64_t ahead = IdGenerator::epoch_ms + (std::int64_t{1} << 38);
  IdGenerator ids(5, ahead);
  Id prev = 0;
  for (int i = 0; i < 3 * 4096; ++i) {
    const Id id = ids.next();
    ASSERT_EQ((id >> IdGenerator::sequence_bits) & 1023, 5) << i;
    ASSERT_GT(id, prev);
    prev = id;
  }
}

TEST(IdGenerator, StartsAfterTheGivenMillisecond) {
  const std::int64_t ahead = IdGenerator::epoch_ms + (std::int64_t{1} << 38);
  IdGenerator ids(3, ahead);
  EXPECT_EQ(ids.last_unix_ms(), ahead);
  const Id id = ids.next();
  EXPECT_EQ((id >> 22) + IdGenerator::epoch_ms, ahead + 1);
  EXPECT_EQ(ids.last_unix_ms(), ahead + 1);
  EXPECT_EQ(IdGenerator(3).last_unix_ms(), 0);
}

TEST(IdGenerator, RejectsNodeIdsOutOfRange) {
  EXPECT_THROW(IdGenerator(-1), std::invalid_argument);
  EXPECT_THROW(IdGenerator(1024), std::invalid_argument);
}

TEST(IdGenerator, IdsExceedJavaScriptSafeIntegers) {
  // Why ids travel as strings: they are above 2^53 from day one.
  IdGenerator ids;
  EXPECT_GT(ids.next(), (Id{1} << 53));
}

TEST(ParseId, AcceptsOnlyPositiveDecimal) {
  EXPECT_EQ(parse_id("1"), 1);
  EXPECT_EQ(parse_id("9223372036854775807"), INT64_MAX);
  EXPECT_EQ(parse_id(id_to_string(123456789012345678)), 123456789012345678);
  for (const char* bad : {"", "0", "-1", "+1", " 1", "1 ", "1e3", "0x10", "9223372036854775808",
                          "99999999999999999999", "12a"})
    EXPECT_FALSE(parse_id(bad).has_value()) << bad;
}

}  // namespace
}  // namespace parley
