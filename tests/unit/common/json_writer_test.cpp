#include "common/json_writer.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

namespace parley {
namespace {

std::string escaped(std::string_view text) {
  std::string out;
  json_text::append_string(out, text);
  return out;
}

TEST(JsonWriter, EscapesWhatJsonRequires) {
  EXPECT_EQ(escaped("plain"), "\"plain\"");
  EXPECT_EQ(escaped("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(escaped("line\nbreak\ttab\r"), R"("line\nbreak\ttab\r")");
  EXPECT_EQ(escaped(std::string("\x01\x1f", 2)), R"("\u0001\u001f")");
  EXPECT_EQ(escaped("zoë 日本"), "\"zoë 日本\"");
  EXPECT_EQ(escaped("</script>"), "\"</script>\"");
}

TEST(JsonWriter, EveryByteRoundTripsThroughAParser) {
  std::string all;
  for (int c = 1; c < 128; ++c) all.push_back(static_cast<char>(c));
  const auto parsed = boost::json::parse(escaped(all));
  EXPECT_EQ(parsed.as_string(), all);
}

TEST(JsonWriter, NumbersIdsAndTimes) {
  std::string out;
  json_text::append_int(out, -42);
  out.push_back(' ');
  json_text::append_id(out, 119990616653299712);
  out.push_back(' ');
  json_text::append_time(out, 1795833592328);
  EXPECT_EQ(out, R"(-42 "119990616653299712" "2026-11-28T02:39:52.328Z")");
}

}  // namespace
}  // namespace parley
