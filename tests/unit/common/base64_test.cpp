// Base64 as Engine.IO uses it in polling payloads (and WebSocket handshakes): RFC 4648
// vectors and strictness.
#include <gtest/gtest.h>

#include <string>

#include "common/base64.hpp"

namespace parley {
namespace {

TEST(Base64, Rfc4648Vectors) {
  const std::pair<std::string, std::string> vectors[] = {
      {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},         {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64_encode(plain), encoded);
    EXPECT_EQ(base64_encoded_size(plain.size()), encoded.size());
    auto decoded = base64_decode(encoded);
    ASSERT_TRUE(decoded) << encoded;
    EXPECT_EQ(*decoded, plain);
  }
}

TEST(Base64, AllByteValuesRoundTrip) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  for (std::size_t len = 0; len <= bytes.size(); ++len) {
    const std::string slice = bytes.substr(bytes.size() - len);
    auto decoded = base64_decode(base64_encode(slice));
    ASSERT_TRUE(decoded);
    EXPECT_EQ(*decoded, slice);
  }
}

TEST(Base64, ProtocolExample) {
  // The engine.io test suite's binary packet: "bAQIDBA==" carries bytes 1, 2, 3, 4.
  EXPECT_EQ(base64_decode("AQIDBA=="), std::string("\x01\x02\x03\x04"));
  EXPECT_EQ(base64_encode(std::string("\x01\x02\x03\x04")), "AQIDBA==");
  EXPECT_EQ(base64_encode(std::string("\xff\xfe\xfd", 3)), "//79");
}

TEST(Base64, RejectsMalformed) {
  const char* bad[] = {
      "Zg",        // missing padding
      "Zg=",       // short padding
      "Zm9",       // length not a multiple of 4
      "Z",         // length 1
      "Zg==Zg==",  // padding in the middle
      "Z===",      // too much padding
      "====",      // only padding
      "=Zg=",      // padding first
      "Zm9v Yg==", // whitespace
      "Zm9v\nYg==",// line break
      "Zm9-",      // URL-safe alphabet
      "Zm9_",      // URL-safe alphabet
      "Zm9*",      // not in any alphabet
      "Zh==",      // non-zero trailing bits (canonical is "Zg==")
      "Zm9=",      // non-zero trailing bits (canonical is "Zm8=")
      "Zg=a",      // data after padding
  };
  for (const char* text : bad) EXPECT_FALSE(base64_decode(text)) << text;
  EXPECT_FALSE(base64_decode(std::string("Zm9\0", 4)));
  EXPECT_FALSE(base64_decode(std::string("Zm9\x80", 4)));
}

TEST(Base64, DecodeToLeavesOutputUntouchedOnFailure) {
  std::string out = "keep";
  EXPECT_FALSE(base64_decode_to(out, "Zm9vYg=*"));
  EXPECT_EQ(out, "keep");
  EXPECT_FALSE(base64_decode_to(out, "Zm9vYm*="));
  EXPECT_EQ(out, "keep");
  EXPECT_TRUE(base64_decode_to(out, "Zm9v"));
  EXPECT_EQ(out, "keepfoo");
}

}  // namespace
}  // namespace parley
