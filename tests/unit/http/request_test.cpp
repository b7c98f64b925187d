#include "http/request.hpp"

#include <gtest/gtest.h>

#include "http/json_io.hpp"

namespace parley::http {
namespace {

TEST(ParseQuery, DecodesPairs) {
  auto q = parse_query("q=al%20ice&limit=5&flag&x=a+b&&empty=");
  ASSERT_EQ(q.size(), 5u);
  EXPECT_EQ(q[0], (std::pair<std::string, std::string>("q", "al ice")));
  EXPECT_EQ(q[1].second, "5");
  EXPECT_EQ(q[2], (std::pair<std::string, std::string>("flag", "")));
  EXPECT_EQ(q[3].second, "a b");
  EXPECT_EQ(q[4], (std::pair<std::string, std::string>("empty", "")));
}

TEST(ParseQuery, KeepsMalformedEscapesLiterally) {
  auto q = parse_query("a=%zz&b=%4");
  EXPECT_EQ(q[0].second, "%zz");
  EXPECT_EQ(q[1].second, "%4");
}

TEST(DecodePath, DecodesAndRejects) {
  EXPECT_EQ(decode_path("/api/users/search"), "/api/users/search");
  EXPECT_EQ(decode_path("/a%20b"), "/a b");
  EXPECT_FALSE(decode_path("/a%2").has_value());
  EXPECT_FALSE(decode_path("/a%zz").has_value());
  EXPECT_FALSE(decode_path("/a%00b").has_value());
}

TEST(Request, FindsParamsAndQuery) {
  Request r;
  r.query = {{"limit", "5"}, {"limit", "6"}};
  r.params = {{"id", "9"}};
  EXPECT_EQ(r.query_param("limit"), "5");
  EXPECT_FALSE(r.query_param("nope").has_value());
  EXPECT_EQ(r.param("id"), "9");
  EXPECT_EQ(r.param("other"), "");
}

TEST(Request, RecognizesJsonContentTypes) {
  Request r;
  for (const char* ok : {"application/json", "application/json; charset=utf-8", "Application/JSON"}) {
    r.content_type = ok;
    EXPECT_TRUE(r.has_json_body()) << ok;
  }
  for (const char* bad : {"", "text/plain", "application/jsonx", "application/json-patch+json"}) {
    r.content_type = bad;
    EXPECT_FALSE(r.has_json_body()) << bad;
  }
}

TEST(JsonIo, ParsesObjectsOnly) {
  Request r;
  r.content_type = "application/json";
  r.body = R"({"a":"b"})";
  auto ok = parse_json_object(r);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->at("a").as_string(), "b");
  for (const char* bad : {"", "{", "[]", "1", "null", "{\"a\":1}x", "{'a':1}"}) {
    r.body = bad;
    auto result = parse_json_object(r);
    ASSERT_FALSE(result) << bad;
    EXPECT_EQ(result.error().code, "invalid_json");
  }
  r.body = std::string(1000, '[') + std::string(1000, ']');
  EXPECT_FALSE(parse_json_object(r));
  r.content_type = "text/plain";
  r.body = "{}";
  EXPECT_EQ(parse_json_object(r).error().kind, ErrorKind::unsupported_media_type);
}

TEST(JsonIo, ErrorShapeAndHeaders) {
  Error limited{ErrorKind::rate_limited, "rate_limited", "slow down"};
  limited.retry_after_ms = 1500;
  auto r = error_response(limited);
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.body, R"({"error":{"code":"rate_limited","message":"slow down","retryAfterMs":1500}})");
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0], (std::pair<std::string, std::string>("Retry-After", "2")));
  auto unauthorized = error_response(Error::unauthorized());
  EXPECT_EQ(unauthorized.status, 401);
  EXPECT_EQ(unauthorized.headers[0].first, "WWW-Authenticate");
}

TEST(JsonIo, TypedFields) {
  boost::json::object body{{"s", "x"}, {"n", 1}, {"z", nullptr}};
  EXPECT_EQ(*required_string(body, "s"), "x");
  EXPECT_EQ(required_string(body, "n").error().code, "invalid_field");
  EXPECT_EQ(required_string(body, "missing").error().code, "missing_field");
  EXPECT_FALSE(optional_string(body, "z")->has_value());
}

}  // namespace
}  // namespace parley::http
