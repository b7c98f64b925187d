// The one UTF-8 validator (common/utf8.hpp): code point counts, RFC 3629 boundaries, and
// every branch of the ASCII fast path (eight bytes at a time).
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

TEST(Utf8, AcceptsWellFormed) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain ascii, longer than eight bytes"));
  EXPECT_TRUE(is_valid_utf8("caf\xc3\xa9"));                    // é
  EXPECT_TRUE(is_valid_utf8("\xe2\x82\xac\xe2\x82\xac"));        // €€
  EXPECT_TRUE(is_valid_utf8("\xf0\x9f\x98\x80 emoji"));          // U+1F600
  EXPECT_TRUE(is_valid_utf8("\xee\x80\x80"));                    // U+E000, just above the surrogates
  EXPECT_TRUE(is_valid_utf8(std::string("nul\0inside", 10)));   // NUL is valid UTF-8
}

TEST(Utf8, RejectsMalformedAroundTheAsciiFastPath) {
  const char* bad[] = {
      "abc\xbf",           // continuation at the end
      "\xc1\xbf",          // overlong
      "\xf0\x80\x80\xaf",  // overlong 4-byte
      "\xed\xbf\xbf",      // surrogate U+DFFF
      "\xf5\x80\x80\x80",  // invalid lead byte
      "\xe2\x28\xa1",      // bad continuation
      "\xf0\x9f\x98",      // truncated 4-byte
      "12345678\xc3(",     // bad continuation right after eight ASCII bytes
      "1234567\xc3",       // truncated, inside the first word
      "1234567812345678\x80",  // lone continuation after two words
  };
  for (const char* text : bad) {
    EXPECT_FALSE(is_valid_utf8(text)) << testing::PrintToString(std::string(text));
    EXPECT_FALSE(utf8_length(text)) << testing::PrintToString(std::string(text));
  }
}

TEST(Utf8, CountsAcrossTheAsciiFastPath) {
  EXPECT_EQ(utf8_length("12345678"), 8u);
  EXPECT_EQ(utf8_length("1234567\xc3\xa9" "12345678x"), 17u);       // é straddles the first word
  EXPECT_EQ(utf8_length("\xf0\x9f\x98\x80" "12345678\xe2\x82\xac"), 10u);
  const std::string long_ascii(1000, 'a');
  EXPECT_EQ(utf8_length(long_ascii), 1000u);
  EXPECT_EQ(utf8_length(long_ascii + "\xc3\xa9"), 1001u);
}

}  // namespace
}  // namespace parley
