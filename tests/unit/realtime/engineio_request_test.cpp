// Engine.IO request checks, sids and CORS: pure functions.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "realtime/engineio/cors.hpp"
#include "realtime/engineio/request_check.hpp"
#include "realtime/engineio/sid.hpp"
#include <vector>

namespace parley::engineio {
namespace {

http::Fields query(std::string_view text) { return http::parse_query(text); }

std::optional<ErrorCode> check(std::string_view q, std::string_view method = "GET", bool upgrade = false,
                               ServerOptions options = {}) {
  return verify_request(query(q), method, upgrade, options).error;
}

TEST(EngineioRequest, ChecksInTheReferenceOrder) {
  EXPECT_EQ(check("EIO=4&transport=polling"), std::nullopt);
  EXPECT_EQ(check("transport=polling"), ErrorCode::unsupported_protocol_version);
  EXPECT_EQ(check("EIO=3&transport=polling"), ErrorCode::unsupported_protocol_version);
  EXPECT_EQ(check("EIO=4"), ErrorCode::unknown_transport);
  EXPECT_EQ(check("EIO=4&transport=flash"), ErrorCode::unknown_transport);
  EXPECT_EQ(check("EIO=5"), ErrorCode::unknown_transport);  // transport first
  EXPECT_EQ(check("EIO=4&transport=polling", "POST"), ErrorCode::bad_handshake_method);
  EXPECT_EQ(check("EIO=4&transport=websocket"), ErrorCode::bad_request);  // websocket without upgrade
  EXPECT_EQ(check("EIO=4&transport=websocket", "GET", true), std::nullopt);
  EXPECT_EQ(check("EIO=4&transport=polling", "GET", true), ErrorCode::bad_request);
  EXPECT_EQ(check("EIO=4&transport=polling&sid=x", "POST"), std::nullopt);
  EXPECT_EQ(check("EIO=4&transport=websocket&sid=x"), ErrorCode::bad_request);
  EXPECT_EQ(check("EIO=4&transport=websocket&sid=x", "GET", true), std::nullopt);
  ServerOptions no_upgrades;
  no_upgrades.allow_upgrades = false;
  EXPECT_EQ(check("EIO=4&transport=websocket&sid=x", "GET", true, no_upgrades), ErrorCode::bad_request);
  ServerOptions websocket_only;
  websocket_only.allow_polling = false;
  EXPECT_EQ(check("EIO=4&transport=polling", "GET", false, websocket_only), ErrorCode::unknown_transport);

  const http::Fields fields = query("EIO=4&transport=polling&sid=abc");  // the verdict points into it
  const auto verdict = verify_request(fields, "GET", false, {});
  EXPECT_FALSE(verdict.handshake);
  EXPECT_EQ(verdict.sid, "abc");
}

TEST(EngineioRequest, ErrorBodiesLikeTheReferenceServer) {
  EXPECT_EQ(error_body(ErrorCode::unknown_transport), R"({"code":0,"message":"Transport unknown"})");
  EXPECT_EQ(error_body(ErrorCode::unknown_sid), R"({"code":1,"message":"Session ID unknown"})");
  EXPECT_EQ(error_body(ErrorCode::bad_handshake_method), R"({"code":2,"message":"Bad handshake method"})");
  EXPECT_EQ(error_body(ErrorCode::bad_request), R"({"code":3,"message":"Bad request"})");
  EXPECT_EQ(error_body(ErrorCode::forbidden), R"({"code":4,"message":"Forbidden"})");
  EXPECT_EQ(error_body(ErrorCode::unsupported_protocol_version),
            R"({"code":5,"message":"Unsupported protocol version"})");
  EXPECT_EQ(error_status(ErrorCode::forbidden), 403);
  EXPECT_EQ(error_status(ErrorCode::unknown_sid), 400);
}

TEST(EngineioSid, RoundTripsAndRejectsEverythingElse) {
  for (int thread : {0, 1, 7, 255}) {
    for (std::uint64_t key : {std::uint64_t{1}, std::uint64_t{0xDEADBEEFCAFEF00D}, ~std::uint64_t{0}}) {
      const std::string sid = encode_sid("", thread, key);
      EXPECT_EQ(sid.size(), 12u);
      EXPECT_EQ(sid.find_first_of("+/=."), std::string::npos) << sid;
      const auto parts = decode_sid(sid);
      ASSERT_TRUE(parts) << sid;
      EXPECT_EQ(parts->route, "");
      EXPECT_EQ(parts->thread, thread);
      EXPECT_EQ(parts->key, key);
    }
  }
  for (const char* bad : {"", "abc", "AAAAAAAAAAA", "AAAAAAAAAAAAA", "AAAAAAAA+AAA", "AAAAAAAA/AAA", "AAAAAAAAAA=="})
    EXPECT_FALSE(decode_sid(bad)) << bad;
  EXPECT_EQ(encode_id(0).size(), 11u);
  EXPECT_NE(encode_id(1), encode_id(2));
}

TEST(EngineioSid, CarriesTheRouteTagBeforeADot) {
  for (const char* route : {"8081", "node-a", "N_3", "abcdefghijklmnopqrstuvwxyz012345"}) {
    const std::string sid = encode_sid(route, 3, 0x0123456789ABCDEF);
    EXPECT_EQ(sid, std::string(route) + "." + encode_sid("", 3, 0x0123456789ABCDEF));
    const auto parts = decode_sid(sid);
    ASSERT_TRUE(parts) << sid;
    EXPECT_EQ(parts->route, route);
    EXPECT_EQ(parts->thread, 3);
    EXPECT_EQ(parts->key, 0x0123456789ABCDEFu);
  }
  // The random key still makes up the whole tail: two sessions of one thread differ.
  EXPECT_NE(encode_sid("8081", 0, 1), encode_sid("8081", 0, 2));
}

TEST(EngineioSid, RefusesGarbageRoutes) {
  const std::string body = encode_sid("", 0, 42);
  for (const std::string& bad : std::vector<std::string>{"." + body, "a.b." + body, "8081." + body + "A", "8081.", "80 81." + body,
                                "80/81." + body, "8081%2E" + body, std::string(33, 'a') + "." + body,
                                "caf\xc3\xa9." + body, std::string("80\0" "81.", 5) + body, "8081.." + body})
    EXPECT_FALSE(decode_sid(bad)) << bad;
  EXPECT_TRUE(valid_route("8081"));
  EXPECT_FALSE(valid_route(""));
  EXPECT_FALSE(valid_route("a.b"));
  EXPECT_FALSE(valid_route(std::string(33, 'x')));
}

TEST(EngineioCors, NoneAnyOrAList) {
  http::Fields headers;
  CorsPolicy::parse("").add_headers(headers, "https://a.example");
  EXPECT_TRUE(headers.empty());

  headers.clear();
  const auto any = CorsPolicy::parse("*");
  any.add_headers(headers, "https://a.example");
  ASSERT_EQ(headers.size(), 1u);
  EXPECT_EQ(headers[0], (std::pair<std::string, std::string>{"Access-Control-Allow-Origin", "*"}));
  EXPECT_TRUE(any.allows_websocket("https://evil.example"));

  const auto list = CorsPolicy::parse(" https://a.example/ , https://b.example");
  headers.clear();
  list.add_headers(headers, "https://b.example");
  ASSERT_EQ(headers.size(), 3u);
  EXPECT_EQ(headers[0].second, "https://b.example");
  EXPECT_EQ(headers[1], (std::pair<std::string, std::string>{"Access-Control-Allow-Credentials", "true"}));
  headers.clear();
  list.add_headers(headers, "https://evil.example");
  EXPECT_TRUE(headers.empty());
  EXPECT_TRUE(list.allows("https://a.example"));
  EXPECT_FALSE(list.allows_websocket("https://evil.example"));
  EXPECT_TRUE(list.allows_websocket(""));  // not a browser

  headers.clear();
  list.add_preflight_headers(headers, "https://a.example");
  bool has_methods = false;
  for (const auto& [name, value] : headers) has_methods |= name == "Access-Control-Allow-Methods";
  EXPECT_TRUE(has_methods);
}

}  // namespace
}  // namespace parley::engineio
