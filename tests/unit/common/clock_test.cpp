#include "common/clock.hpp"

#include <gtest/gtest.h>

namespace parley {
namespace {

TEST(Iso8601, FormatsUtcWithMilliseconds) {
  EXPECT_EQ(format_iso8601(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_iso8601(1767225600000), "2026-01-01T00:00:00.000Z");
  EXPECT_EQ(format_iso8601(1798761599999), "2026-12-31T23:59:59.999Z");
  EXPECT_EQ(format_iso8601(951782400123), "2000-02-29T00:00:00.123Z");
}

TEST(Iso8601, RoundTrips) {
  for (TimeMs t : {TimeMs{0}, TimeMs{1767225600000}, TimeMs{1795833592328}, TimeMs{951782400123}})
    EXPECT_EQ(parse_iso8601(format_iso8601(t)), t);
}

TEST(Iso8601, RejectsOtherShapes) {
  for (const char* bad : {"", "2026-01-01", "2026-01-01T00:00:00Z", "2026-13-01T00:00:00.000Z",
                          "2026-02-30T00:00:00.000Z", "2026-01-01T24:00:00.000Z", "2026-01-01T00:00:00.000+01"})
    EXPECT_FALSE(parse_iso8601(bad).has_value()) << bad;
}

TEST(FakeClock, AdvancesOnlyWhenTold) {
  FakeClock clock(1000);
  EXPECT_EQ(clock.now_ms(), 1000);
  clock.advance(500);
  EXPECT_EQ(clock.now_ms(), 1500);
}

}  // namespace
}  // namespace parley
