// UTF-8 validation used on polling bodies and Socket.IO namespaces.
#include <gtest/gtest.h>

#include <string>

#include "realtime/engineio/utf8.hpp"

namespace parley::engineio {
namespace {

TEST(EngineioUtf8, AcceptsWellFormed) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain ascii, longer than eight bytes"));
  EXPECT_TRUE(is_valid_utf8("caf\xc3\xa9"));                    // é
  EXPECT_TRUE(is_valid_utf8("\xe2\x82\xac\xe2\x82\xac"));        // €€
  EXPECT_TRUE(is_valid_utf8("\xf0\x9f\x98\x80 emoji"));          // U+1F600
  EXPECT_TRUE(is_valid_utf8("\xed\x9f\xbf"));                    // U+D7FF
  EXPECT_TRUE(is_valid_utf8("\xee\x80\x80"));                    // U+E000
  EXPECT_TRUE(is_valid_utf8("\xf4\x8f\xbf\xbf"));                // U+10FFFF
  EXPECT_TRUE(is_valid_utf8(std::string("nul\0inside", 10)));   // NUL is valid UTF-8
}

TEST(EngineioUtf8, RejectsMalformed) {
  const char* bad[] = {
      "\x80",              // lone continuation byte
      "abc\xbf",           // continuation at the end
      "\xc0\xaf",          // overlong '/'
      "\xc1\xbf",          // overlong
      "\xe0\x80\xaf",      // overlong 3-byte
      "\xf0\x80\x80\xaf",  // overlong 4-byte
      "\xed\xa0\x80",      // surrogate U+D800
      "\xed\xbf\xbf",      // surrogate U+DFFF
      "\xf4\x90\x80\x80",  // U+110000
      "\xf5\x80\x80\x80",  // invalid lead byte
      "\xff",              // invalid byte
      "\xc3",              // truncated 2-byte
      "\xe2\x82",          // truncated 3-byte
      "\xf0\x9f\x98",      // truncated 4-byte
      "\xe2\x28\xa1",      // bad continuation
      "12345678\xc3(",     // bad continuation after the ASCII fast path
  };
  for (const char* text : bad) EXPECT_FALSE(is_valid_utf8(text)) << text;
}

}  // namespace
}  // namespace parley::engineio
