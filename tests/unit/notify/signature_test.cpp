#include "notify/signature.hpp"

#include <gtest/gtest.h>

namespace parley::notify {
namespace {

TEST(WebhookSignature, HmacMatchesRfc4231TestCase2) {
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(WebhookSignature, CoversTimestampDotBody) {
  // Computed independently: Python's hmac.new(key, b'1767225600.{"type":"message"}', sha256).
  EXPECT_EQ(webhook_signature("0123456789abcdef-secret", 1767225600, R"({"type":"message"})"),
            "sha256=7804575aea120d3e0fdaf362b3b4be95a3c7f82f063bb06cb322578aec8fdfb7");
}

TEST(WebhookSignature, ChangesWithTimestampBodyAndSecret) {
  const auto base = webhook_signature("0123456789abcdef-secret", 1767225600, "{}");
  EXPECT_NE(base, webhook_signature("0123456789abcdef-secret", 1767225601, "{}"));
  EXPECT_NE(base, webhook_signature("0123456789abcdef-secret", 1767225600, "{ }"));
  EXPECT_NE(base, webhook_signature("0123456789abcdef-secreT", 1767225600, "{}"));
}

}  // namespace
}  // namespace parley::notify
