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

}  // namespace
}  // namespace parley::chat
