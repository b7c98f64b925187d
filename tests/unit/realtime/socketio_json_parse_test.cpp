// JSON parsing of Socket.IO payloads: exact doubles (unlike Boost 1.81's parser), strict
// JSON text, finite numbers only.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <charconv>
#include <cmath>
#include <cstring>
#include <random>
#include <string>

#include "realtime/socketio/json_parse.hpp"

namespace parley::socketio {
namespace {

namespace json = boost::json;

double parse_double(std::string_view text) {
  auto value = parse_json(text, 64);
  EXPECT_TRUE(value) << text;
  return value ? value->to_number<double>() : NAN;
}

TEST(SocketioJsonParse, DoublesAreRoundedCorrectly) {
  // Values Boost 1.81's own parser gets wrong by an ulp or more.
  EXPECT_EQ(parse_double("-172.43127776997827"), -172.43127776997827);
  EXPECT_EQ(parse_double("1.3927926388013963e-143"), 1.3927926388013963e-143);
  EXPECT_EQ(parse_double("99999999999999000000000000"), 99999999999999000000000000.0);
  EXPECT_EQ(parse_double("0.30000000000000004"), 0.1 + 0.2);
}

TEST(SocketioJsonParse, ShortestTextOfRandomDoublesRoundTrips) {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> coordinate(-180.0, 180.0);
  for (int i = 0; i < 20000; ++i) {
    double d;
    if (i % 2 == 0) {
      d = coordinate(rng);
    } else {
      const std::uint64_t bits = rng();
      std::memcpy(&d, &bits, sizeof d);
      if (!std::isfinite(d)) continue;
    }
    char buf[64];
    const auto end = std::to_chars(buf, buf + sizeof buf, d).ptr;
    const std::string text(buf, end);
    ASSERT_EQ(parse_double(text), d) << text;
    // And through Boost's serializer, which is what the encoder writes.
    ASSERT_EQ(parse_double(json::serialize(json::value(d))), d) << text;
  }
}

TEST(SocketioJsonParse, IntegersStayIntegers) {
  EXPECT_EQ(parse_json("42", 64)->as_int64(), 42);
  EXPECT_EQ(parse_json("-9223372036854775808", 64)->as_int64(), INT64_MIN);
  EXPECT_EQ(parse_json("18446744073709551615", 64)->as_uint64(), UINT64_MAX);
  EXPECT_TRUE(parse_json("18446744073709551616", 64)->is_double());
}

TEST(SocketioJsonParse, NumbersBeyondDoubleAreRefused) {
  EXPECT_FALSE(parse_json("1e400", 64));
  EXPECT_FALSE(parse_json("[-1e400]", 64));
  EXPECT_FALSE(parse_json("{\"a\":" + std::string(400, '9') + "}", 64));
  // Underflow reads as zero, as in JSON.parse.
  EXPECT_EQ(parse_double("1e-400"), 0.0);
  EXPECT_EQ(parse_double("4.9e-324"), 4.9e-324);  // smallest subnormal
}

TEST(SocketioJsonParse, ExactlyOneValue) {
  EXPECT_TRUE(parse_json(" {\"a\":[1,true,null,\"x\"]} \n", 64));
  for (const char* bad : {"", " ", "[1] [2]", "[1],", "{\"a\":1}}", "[1,]", "{'a':1}",
                          "[1]/*c*/", "NaN", "Infinity", "01", "1.", ".5", "+1", "[\"\xff\"]",
                          "\"a", "tru", "[1"}) {
    EXPECT_FALSE(parse_json(bad, 64)) << bad;
  }
}

TEST(SocketioJsonParse, DepthLimit) {
  EXPECT_TRUE(parse_json("[[[1]]]", 3));
  EXPECT_FALSE(parse_json("[[[[1]]]]", 3));
  EXPECT_FALSE(parse_json("{\"a\":{\"b\":{\"c\":{}}}}", 3));
}

TEST(SocketioJsonParse, SameTreeAsBoost) {
  const char* text = R"({"s":"caf\u00e9 \ud83d\ude00","a":[1,-2,3.5,true,false,null,{}],"k":{"":[]}})";
  EXPECT_EQ(*parse_json(text, 64), json::parse(text));
}

}  // namespace
}  // namespace parley::socketio
