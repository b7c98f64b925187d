#include "chat/search.hpp"

#include <gtest/gtest.h>

#include "chat/chat_fixture.hpp"

namespace parley::chat {
namespace {

using testing::ChatWorld;
using testing::StoreCall;

Error refusal(const SearchInput& input) {
  auto query = Search::query(7, input);
  EXPECT_FALSE(query.ok());
  return query.ok() ? Error::internal("accepted") : query.error();
}

TEST(Search, QueriesAreCheckedBeforeAnyRead) {
  for (const std::string& q : {std::string(), std::string("  \t\n"), std::string(201, 'x'), std::string("\xff"),
                               std::string("a\0b", 3)}) {
    const auto error = refusal({q});
    EXPECT_EQ(error.kind, ErrorKind::bad_request);
    EXPECT_EQ(error.code, "invalid_query") << q;
  }
  std::string long_ok;
  for (int i = 0; i < 200; ++i) long_ok += "é";
  EXPECT_TRUE(Search::query(7, {"  " + long_ok + "  "}).ok()) << "200 characters once trimmed";
  for (const char* limit : {"0", "51", "-1", "x", ""})
    EXPECT_EQ(refusal({"q", {}, {}, std::string(limit)}).code, "invalid_limit") << limit;
  for (const char* cursor : {"x", "o:", "o:0", "o:-1", "o:1000", "o:01", "o:1e3", "20", "o:99999999999"})
    EXPECT_EQ(refusal({"q", {}, {}, {}, std::string(cursor)}).code, "invalid_cursor") << cursor;
  EXPECT_EQ(refusal({"q", {}, std::string("nope")}).code, "invalid_before");
  EXPECT_EQ(refusal({"q", std::string("nope")}).kind, ErrorKind::not_found);

  auto query = Search::query(7, {"  hello wor ", std::string("42"), std::string("99"), std::string("5"),
                                 std::string("o:40")});
  ASSERT_TRUE(query.ok());
  EXPECT_EQ(query->user, 7);
  EXPECT_EQ(query->text, "hello wor");
  EXPECT_EQ(query->conversation, 42);
  EXPECT_EQ(query->before, 99);
  EXPECT_EQ(query->limit, 5);
  EXPECT_EQ(query->offset, 40);
  auto defaults = Search::query(7, {"q"});
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->limit, Search::kDefaultLimit);
  EXPECT_EQ(defaults->offset, 0);
  EXPECT_FALSE(defaults->conversation);
  EXPECT_FALSE(defaults->before);
}

TEST(Search, CursorsRoundTrip) {
  for (int offset : {1, 20, 999}) EXPECT_EQ(Search::decode_cursor(Search::encode_cursor(offset)), offset);
}

TEST(Search, AConversationOfSomeoneElseIsNotFoundAndAnOutageIsUnavailable) {
  ChatWorld world;
  const Id alice = world.user("alice"), bob = world.user("bob"), carol = world.user("carol");
  const Id conversation = world.group(alice, {bob});
  auto outsider = world.search.search(carol, {"hello", id_to_string(conversation)});
  ASSERT_FALSE(outsider.ok());
  EXPECT_EQ(outsider.error().kind, ErrorKind::not_found);
  world.store().fail_always({StoreCall::search_messages});
  auto away = world.search.search(alice, {"hello"});
  ASSERT_FALSE(away.ok());
  EXPECT_EQ(away.error().kind, ErrorKind::unavailable);
}

// Against the store's implementation (conv-sqlite).
TEST(Search, PagesFollowTheCursorAndStopAtTheEnd) {
  ChatWorld world;
  const Id alice = world.user("alice"), bob = world.user("bob"), carol = world.user("carol");
  const Id conversation = world.group(alice, {bob});
  const Id elsewhere = world.group(carol, {bob});
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(world.send(alice, conversation, "hello number " + std::to_string(i)).ok());
  ASSERT_TRUE(world.send(carol, elsewhere, "hello from elsewhere").ok());
  ASSERT_TRUE(world.send(alice, conversation, "unrelated").ok());

  auto first = world.search.search(alice, {"hel", {}, {}, std::string("3")});
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_EQ(first->hits.size(), 3u);
  ASSERT_TRUE(first->next_cursor);
  EXPECT_EQ(*first->next_cursor, "o:3");
  auto rest = world.search.search(alice, {"hel", {}, {}, std::string("3"), first->next_cursor});
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(rest->hits.size(), 2u) << "only alice's conversations";
  EXPECT_FALSE(rest->next_cursor);
  for (const auto& hit : rest->hits) EXPECT_EQ(hit.message.conversation_id, conversation);

  auto bobs = world.search.search(bob, {"hello", id_to_string(elsewhere)});
  ASSERT_TRUE(bobs.ok());
  ASSERT_EQ(bobs->hits.size(), 1u);
  EXPECT_EQ(bobs->hits[0].message.body, "hello from elsewhere");
  EXPECT_FALSE(bobs->next_cursor);
}

}  // namespace
}  // namespace parley::chat
