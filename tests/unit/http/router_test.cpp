#include "http/router.hpp"

#include <gtest/gtest.h>

#include "http/request.hpp"

namespace parley::http {
namespace {

Handler named(std::string name) {
  return [name](Request&) {
    Response r;
    r.body = name;
    return r;
  };
}

std::string call(const Router::Match& match) {
  Request request;
  return (*match.handler)(request).body;
}

class RouterTest : public testing::Test {
 protected:
  void SetUp() override {
    router_.add("GET", "/api/users/:id/status", named("status"));
    router_.add("GET", "/api/users/search", named("search"));
    router_.add("GET", "/api/conversations/:id", named("get"));
    router_.add("PUT", "/api/conversations/:id", named("put"));
    router_.add("PUT", "/api/messages/:id/read", named("read"));
    router_.add("DELETE", "/api/messages/:id", named("delete"));
  }
  Router router_;
};

TEST_F(RouterTest, MatchesLiteralsAndParameters) {
  auto m = router_.match("GET", "/api/users/42/status");
  ASSERT_EQ(m.outcome, Router::Outcome::found);
  EXPECT_EQ(call(m), "status");
  ASSERT_EQ(m.params.size(), 1u);
  EXPECT_EQ(m.params[0], (std::pair<std::string, std::string>("id", "42")));
}

TEST_F(RouterTest, LiteralSegmentsWinOverParameters) {
  router_.add("GET", "/api/users/:id", named("user"));
  EXPECT_EQ(call(router_.match("GET", "/api/users/search")), "search");
  EXPECT_EQ(call(router_.match("GET", "/api/users/7")), "user");
}

TEST_F(RouterTest, WrongMethodListsTheAllowedOnes) {
  auto m = router_.match("PATCH", "/api/conversations/1");
  EXPECT_EQ(m.outcome, Router::Outcome::method_not_allowed);
  EXPECT_EQ(m.allow, "GET, PUT");
}

// The reaction routes take the emoji as a path segment, percent-encoded by the
// client: the session decodes the whole path before routing (decode_path), so
// the parameter is the emoji's UTF-8. An encoded "/" becomes a separator and
// the path no longer matches (no emoji holds an ASCII byte anyway).
TEST_F(RouterTest, AReactionPathGivesTheDecodedEmoji) {
  router_.add("PATCH", "/api/messages/:id", named("edit"));
  router_.add("PUT", "/api/messages/:id/reactions/:emoji", named("react"));
  router_.add("DELETE", "/api/messages/:id/reactions/:emoji", named("unreact"));
  const auto path = decode_path("/api/messages/42/reactions/%F0%9F%91%8D%F0%9F%8F%BD");
  ASSERT_TRUE(path.has_value());
  auto m = router_.match("PUT", *path);
  ASSERT_EQ(m.outcome, Router::Outcome::found);
  EXPECT_EQ(call(m), "react");
  ASSERT_EQ(m.params.size(), 2u);
  EXPECT_EQ(m.params[0], (std::pair<std::string, std::string>("id", "42")));
  EXPECT_EQ(m.params[1], (std::pair<std::string, std::string>("emoji", "\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD")));
  EXPECT_EQ(call(router_.match("DELETE", *path)), "unreact");
  EXPECT_EQ(call(router_.match("PATCH", "/api/messages/42")), "edit");
  EXPECT_EQ(call(router_.match("PUT", "/api/messages/42/read")), "read");
  EXPECT_EQ(router_.match("PUT", *decode_path("/api/messages/42/reactions/a%2Fb")).outcome,
            Router::Outcome::not_found);
}

TEST_F(RouterTest, UnknownPathsAreNotFound) {
  for (const char* path : {"/", "/api", "/api/users", "/api/users/1/status/x", "/api/messages//read",
                           "/api/conversations/", "/API/users/search"})
    EXPECT_EQ(router_.match("GET", path).outcome, Router::Outcome::not_found) << path;
}

TEST_F(RouterTest, EmptyParameterDoesNotMatch) {
  EXPECT_EQ(router_.match("PUT", "/api/messages//read").outcome, Router::Outcome::not_found);
}

TEST_F(RouterTest, HeadIsServedByGet) {
  auto m = router_.match("HEAD", "/api/conversations/5");
  ASSERT_EQ(m.outcome, Router::Outcome::found);
  EXPECT_EQ(call(m), "get");
}

TEST_F(RouterTest, DescribeListsEveryRoute) {
  auto routes = router_.describe();
  EXPECT_EQ(routes.size(), 6u);
  EXPECT_NE(std::find(routes.begin(), routes.end(), "DELETE /api/messages/:id"), routes.end());
}

}  // namespace
}  // namespace parley::http

namespace parley::http {
namespace {

TEST(RouterInMemory, ARouteCarriesItsInMemoryHandlerAndOthersNone) {
  Router router;
  router.add("GET", "/a", named("slow"), [](Request&) -> std::optional<Response> {
    Response r;
    r.body = "fast";
    return r;
  });
  router.add("GET", "/b", named("only"));
  auto a = router.match("GET", "/a");
  ASSERT_EQ(a.outcome, Router::Outcome::found);
  ASSERT_NE(a.in_memory, nullptr);
  Request request;
  EXPECT_EQ((*a.in_memory)(request)->body, "fast");
  EXPECT_EQ(call(a), "slow") << "the worker handler is still there for misses";
  auto b = router.match("GET", "/b");
  ASSERT_EQ(b.outcome, Router::Outcome::found);
  EXPECT_EQ(b.in_memory, nullptr);
}

}  // namespace
}  // namespace parley::http
