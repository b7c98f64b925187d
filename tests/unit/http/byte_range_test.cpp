// Range and If-None-Match as the download routes read them.
#include "http/byte_range.hpp"

#include <gtest/gtest.h>

namespace parley::http {
namespace {

using Kind = RangeAnswer::Kind;

void expect_partial(std::string_view header, std::int64_t size, std::int64_t first, std::int64_t length) {
  const auto answer = parse_range(header, size);
  EXPECT_EQ(answer.kind, Kind::partial) << header;
  EXPECT_EQ(answer.first, first) << header;
  EXPECT_EQ(answer.length, length) << header;
}

TEST(ByteRange, SingleRanges) {
  expect_partial("bytes=0-99", 1000, 0, 100);
  expect_partial("bytes=100-", 1000, 100, 900);
  expect_partial("bytes=-100", 1000, 900, 100);
  expect_partial("bytes=-5000", 1000, 0, 1000);     // a suffix longer than the file: all of it
  expect_partial("bytes=990-5000", 1000, 990, 10);  // the end is clamped
  expect_partial("bytes=999-999", 1000, 999, 1);
  expect_partial("Bytes=1-2", 1000, 1, 2);
}

TEST(ByteRange, IgnoredOnesServeTheWholeFile) {
  for (const char* header : {"", "bytes=0-1,5-6", "items=0-1", "bytes=abc", "bytes=5-1", "bytes=-", "bytes=1-x",
                             "bytes=+1-2", "bytes=99999999999999999999-"})
    EXPECT_EQ(parse_range(header, 1000).kind, Kind::whole) << header;
}

TEST(ByteRange, PastTheEndIsUnsatisfiable) {
  EXPECT_EQ(parse_range("bytes=1000-", 1000).kind, Kind::unsatisfiable);
  EXPECT_EQ(parse_range("bytes=2000-3000", 1000).kind, Kind::unsatisfiable);
  EXPECT_EQ(parse_range("bytes=-0", 1000).kind, Kind::unsatisfiable);
  EXPECT_EQ(parse_range("bytes=0-", 0).kind, Kind::unsatisfiable);
}

TEST(ByteRange, EtagMatching) {
  const std::string_view etag = "\"abc\"";
  EXPECT_TRUE(etag_matches("\"abc\"", etag));
  EXPECT_TRUE(etag_matches("\"x\", W/\"abc\"", etag));
  EXPECT_TRUE(etag_matches("*", etag));
  EXPECT_FALSE(etag_matches("\"abcd\"", etag));
  EXPECT_FALSE(etag_matches("", etag));
  EXPECT_FALSE(etag_matches("abc", etag));
}

}  // namespace
}  // namespace parley::http
