// Media tokens: bound to their user, expire after an hour, refuse tampering and
// anything that is not one (an API JWT in particular).
#include "auth/media_tokens.hpp"

#include <gtest/gtest.h>

#include <string>

#include "auth/tokens.hpp"

namespace parley::auth {
namespace {

const std::string kSecret(64, 'a');

TEST(MediaTokens, IssuedTokenNamesItsUserUntilItExpires) {
  FakeClock clock;
  MediaTokens tokens(kSecret, clock);
  const auto issued = tokens.issue(42);
  EXPECT_EQ(issued.expires_at, (clock.now_ms() / 1000 + 3600) * 1000);
  auto user = tokens.verify(issued.token);
  ASSERT_TRUE(user) << user.error().message;
  EXPECT_EQ(*user, 42);
  clock.advance(3599 * 1000);
  EXPECT_TRUE(tokens.verify(issued.token));
  clock.advance(1000);
  auto expired = tokens.verify(issued.token);
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.error().kind, ErrorKind::unauthorized);
  EXPECT_EQ(expired.error().message, "media token expired");
}

TEST(MediaTokens, TamperedOrForeignTokensAreRefused) {
  FakeClock clock;
  MediaTokens tokens(kSecret, clock);
  const std::string token = tokens.issue(42).token;
  // Another user id, the same MAC.
  std::string other = token;
  other.replace(0, 2, "43");
  EXPECT_FALSE(tokens.verify(other));
  // A later expiry, the same MAC.
  std::string later = token;
  const auto dot = later.find('.');
  later[dot + 1] = later[dot + 1] == '9' ? '8' : '9';
  EXPECT_FALSE(tokens.verify(later));
  // One flipped MAC digit.
  std::string flipped = token;
  flipped.back() = flipped.back() == '0' ? '1' : '0';
  EXPECT_FALSE(tokens.verify(flipped));
  // Another server's secret.
  MediaTokens elsewhere(std::string(64, 'b'), clock);
  EXPECT_FALSE(elsewhere.verify(token));
  for (const char* junk : {"", ".", "..", "42..", "42.1.", "042.99999999999.00", "abc"})
    EXPECT_FALSE(tokens.verify(junk)) << junk;
}

TEST(MediaTokens, AnApiTokenIsNotAMediaToken) {
  FakeClock clock;
  TokenService api(kSecret, std::chrono::hours(1), clock);
  MediaTokens media(kSecret, clock);
  EXPECT_FALSE(media.verify(api.issue(42)));
  EXPECT_FALSE(api.verify(media.issue(42).token));
}

}  // namespace
}  // namespace parley::auth
