#include "chat/validation.hpp"

#include <gtest/gtest.h>

namespace parley::chat {
namespace {

TEST(Validation, Usernames) {
  EXPECT_EQ(*normalize_username("Alice_1.x"), "alice_1.x");
  const std::string too_long(33, 'a');
  for (const std::string& bad : {std::string(""), std::string("ab"), std::string("a-b"), std::string("a b"),
                                 std::string("zoë"), too_long})
    EXPECT_FALSE(normalize_username(bad)) << bad;
  EXPECT_TRUE(normalize_username(std::string(32, 'a')));
}

TEST(Validation, Emails) {
  EXPECT_TRUE(normalize_email("a.b+tag@mail.example.com"));
  for (const char* bad : {"", "a@b", "a@b.", "@b.co", "a@@b.co", "a b@c.co", ".a@b.co", "a..b@c.co", "a@-b.co"})
    EXPECT_FALSE(normalize_email(bad)) << bad;
}

TEST(Validation, Passwords) {
  EXPECT_TRUE(check_password("12345678"));
  EXPECT_FALSE(check_password("1234567"));
  EXPECT_TRUE(check_password("éééééééé"));
  EXPECT_FALSE(check_password("éééé")) << "8 bytes but 4 characters";
  EXPECT_FALSE(check_password(std::string(1025, 'x')));
}

TEST(Validation, MessageBodies) {
  EXPECT_TRUE(check_message_body("hi"));
  EXPECT_TRUE(check_message_body(std::string(4000, 'x')));
  EXPECT_FALSE(check_message_body(std::string(4001, 'x')));
  std::string emoji;
  for (int i = 0; i < 4000; ++i) emoji += "😀";
  EXPECT_TRUE(check_message_body(emoji)) << "4000 characters, 16000 bytes";
  EXPECT_FALSE(check_message_body(""));
  EXPECT_FALSE(check_message_body("  \n "));
  EXPECT_FALSE(check_message_body(std::string("a\0b", 3)));
  EXPECT_FALSE(check_message_body("\xff"));
}

TEST(Validation, ClientMsgIdsTitlesNames) {
  EXPECT_TRUE(check_client_msg_id("550e8400-e29b-41d4-a716-446655440000"));
  EXPECT_FALSE(check_client_msg_id(""));
  EXPECT_FALSE(check_client_msg_id(std::string(65, 'x')));
  EXPECT_FALSE(check_client_msg_id("with space"));
  EXPECT_EQ(*normalize_title("  Launch  "), "Launch");
  EXPECT_FALSE(normalize_title("   "));
  EXPECT_FALSE(normalize_title(std::string(101, 'x')));
  EXPECT_FALSE(normalize_display_name("tab\there"));
}

TEST(Validation, Emoji) {
  for (const char* good : {"👍", "👍🏽", "👨‍👩‍👧", "❤️", "🇫🇷", "é"})
    EXPECT_TRUE(check_emoji(good)) << good;
  std::string eight;
  for (int i = 0; i < 8; ++i) eight += "😀";  // 32 bytes
  EXPECT_TRUE(check_emoji(eight));
  for (const std::string& bad : {std::string(), std::string("a"), std::string("👍a"), std::string(" 👍"),
                                std::string("👍\n"), eight + "😀", std::string("\xff"), std::string("\xf0\x9f\x91"),
                                std::string("\xc2\x85"), std::string("\xed\xa0\x80")}) {
    auto status = check_emoji(bad);
    ASSERT_FALSE(status) << bad;
    EXPECT_EQ(status.error().code, "invalid_emoji");
    EXPECT_EQ(status.error().kind, ErrorKind::bad_request);
  }
}

TEST(Validation, MentionNamesAreTheTokensWorthLookingUp) {
  EXPECT_TRUE(mention_names("no mention here").empty());
  EXPECT_TRUE(mention_names("mail me: a.b@example.com, x_@y or 9@z").empty()) << "an address mentions nobody";
  EXPECT_TRUE(mention_names("@ab @ @" + std::string(33, 'x')).empty()) << "not a username's length";
  EXPECT_EQ(mention_names("@Bob, hi @bob. and (@Carol_9)!"),
            (std::vector<std::string>{"bob", "bob.", "carol_9"}));
  EXPECT_EQ(mention_names("@@dave é@erin"), (std::vector<std::string>{"dave", "erin"}));
  EXPECT_EQ(mention_names("@frank..."), (std::vector<std::string>{"frank...", "frank"}));
}

TEST(Validation, MentionsResolveToMembersOnlyDistinctAndAscending) {
  const std::vector<MentionCandidate> members = {{30, "alice"}, {10, "bob"}, {20, "bob.x"}, {40, "dots."}};
  EXPECT_EQ(resolve_mentions("hey @ALICE and @bob, @alice again", members), (std::vector<Id>{10, 30}));
  EXPECT_EQ(resolve_mentions("@bob.x and @bob.", members), (std::vector<Id>{10, 20}))
      << "the longest name that is a member; a trailing dot is punctuation otherwise";
  EXPECT_EQ(resolve_mentions("@dots.", members), (std::vector<Id>{40}));
  EXPECT_TRUE(resolve_mentions("@carol is not here, nor bob@alice.com", members).empty());
  EXPECT_TRUE(resolve_mentions("no at", members).empty());
  EXPECT_TRUE(resolve_mentions("@alice", {}).empty());
  EXPECT_EQ(resolve_mentions("x\n@bob\t@alice", members), (std::vector<Id>{10, 30}));
  EXPECT_TRUE(resolve_mentions("_@bob .@alice", members).empty()) << "preceded by a name character";
}

}  // namespace
}  // namespace parley::chat
