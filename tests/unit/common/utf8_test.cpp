#include "common/utf8.hpp"

#include <gtest/gtest.h>

#include <string>

namespace parley {
namespace {

TEST(Utf8, CountsCodePoints) {
  EXPECT_EQ(utf8_length(""), 0u);
  EXPECT_EQ(utf8_length("abc"), 3u);
  EXPECT_EQ(utf8_length("zoë"), 3u);
  EXPECT_EQ(utf8_length("日本語"), 3u);
  EXPECT_EQ(utf8_length("😀x"), 2u);
  EXPECT_EQ(utf8_length(std::string("a\0b", 3)), 3u);
}

TEST(Utf8, RejectsMalformedSequences) {
  for (const std::string& bad : {
           std::string("\x80"),              // lone continuation
           std::string("\xC3"),              // truncated
           std::string("\xC0\xAF"),          // overlong '/'
           std::string("\xE0\x80\xAF"),      // overlong
           std::string("\xED\xA0\x80"),      // surrogate U+D800
           std::string("\xF4\x90\x80\x80"),  // above U+10FFFF
           std::string("\xF8\x88\x80\x80\x80"),
           std::string("\xFF"),
           std::string("ok\xE2\x82"),        // truncated at the end
       })
    EXPECT_FALSE(is_valid_utf8(bad)) << testing::PrintToString(bad);
}

TEST(Utf8, AcceptsBoundaries) {
  EXPECT_TRUE(is_valid_utf8("\x7F"));
  EXPECT_TRUE(is_valid_utf8("\xC2\x80"));
  EXPECT_TRUE(is_valid_utf8("\xEF\xBF\xBF"));
  EXPECT_TRUE(is_valid_utf8("\xF4\x8F\xBF\xBF"));
  EXPECT_TRUE(is_valid_utf8("\xED\x9F\xBF"));  // U+D7FF, just below the surrogates
}

}  // namespace
}  // namespace parley
