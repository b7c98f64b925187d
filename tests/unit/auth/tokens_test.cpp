#include "auth/tokens.hpp"

#include <gtest/gtest.h>
#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace parley::auth {
namespace {

using namespace std::chrono_literals;

const std::string secret = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

std::string b64url(std::string_view bytes) {
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

std::string b64url_decode(std::string_view text) {
  std::string out(text.size(), '\0');
  size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(), text.size(), nullptr,
                        &len, nullptr, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
    return "<bad base64>";
  out.resize(len);
  return out;
}

std::string hmac(const EVP_MD* md, std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(md, key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()), data.size(),
       mac, &len);
  return std::string(reinterpret_cast<const char*>(mac), len);
}

// A token with exactly this header and payload JSON, signed with `md` (or unsigned).
std::string make_token(std::string_view header, std::string_view payload, const EVP_MD* md = EVP_sha256(),
                       std::string_view key = secret) {
  const std::string signing_input = b64url(header) + "." + b64url(payload);
  return signing_input + "." + (md ? b64url(hmac(md, key, signing_input)) : "");
}

constexpr std::string_view hs256 = R"({"alg":"HS256","typ":"JWT"})";

std::vector<std::string> split(const std::string& token) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t dot; (dot = token.find('.', start)) != std::string::npos; start = dot + 1)
    parts.push_back(token.substr(start, dot - start));
  parts.push_back(token.substr(start));
  return parts;
}

class Tokens : public ::testing::Test {
 protected:
  FakeClock clock_{1767225600123};  // 2026-01-01T00:00:00.123Z
  TokenService tokens_{secret, 3600s, clock_};
  long long now_s() const { return clock_.now_ms() / 1000; }
  // A correctly signed HS256 token with this payload.
  std::string signed_payload(std::string_view payload) const { return make_token(hs256, payload); }
  std::string claims(std::string_view sub_json, long long iat, long long exp) const {
    return R"({"sub":)" + std::string(sub_json) + R"(,"iat":)" + std::to_string(iat) + R"(,"exp":)" +
           std::to_string(exp) + "}";
  }
  void expect_invalid(const std::string& token, const std::string& what) {
    const auto result = tokens_.verify(token);
    ASSERT_FALSE(result.ok()) << what << ": " << token;
    EXPECT_EQ(result.error().kind, ErrorKind::unauthorized) << what;
    EXPECT_EQ(result.error().message, "invalid token") << what;
  }
};

TEST_F(Tokens, RoundTrip) {
  const std::string token = tokens_.issue(7340032123456789);
  const auto claims = tokens_.verify(token);
  ASSERT_TRUE(claims.ok()) << claims.error().message;
  EXPECT_EQ(claims->user_id, 7340032123456789);
  EXPECT_EQ(claims->issued_at, 1767225600000);  // whole seconds
  EXPECT_EQ(claims->expires_at, 1767225600000 + 3600 * 1000);
  EXPECT_FALSE(claims->token_id.empty());
  EXPECT_EQ(tokens_.ttl(), 3600s);
}

TEST_F(Tokens, FormatIsHs256WithStringSubject) {
  const std::string token = tokens_.issue(42);
  const auto parts = split(token);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(b64url_decode(parts[0]), R"({"alg":"HS256","typ":"JWT"})");
  const std::string payload = b64url_decode(parts[1]);
  EXPECT_NE(payload.find(R"("sub":"42")"), std::string::npos) << payload;
  EXPECT_NE(payload.find(R"("iat":1767225600)"), std::string::npos) << payload;
  EXPECT_NE(payload.find(R"("exp":1767229200)"), std::string::npos) << payload;
  EXPECT_NE(payload.find(R"("jti":")"), std::string::npos) << payload;
  // The signature is HMAC-SHA256 over "header.payload" with the secret.
  EXPECT_EQ(parts[2], b64url(hmac(EVP_sha256(), secret, parts[0] + "." + parts[1])));
  EXPECT_LT(token.size(), 300u);
}

TEST_F(Tokens, EachTokenIsUnique) {
  const auto a = tokens_.issue(1), b = tokens_.issue(1);
  EXPECT_NE(a, b);
  EXPECT_NE(tokens_.verify(a)->token_id, tokens_.verify(b)->token_id);
}

TEST_F(Tokens, ValidUntilExpiryThenExpired) {
  const std::string token = tokens_.issue(5);
  const TimeMs exp_ms = tokens_.verify(token)->expires_at;
  clock_.set(exp_ms - 1);
  EXPECT_TRUE(tokens_.verify(token).ok());
  clock_.set(exp_ms);  // exp <= now: expired
  auto result = tokens_.verify(token);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, ErrorKind::unauthorized);
  EXPECT_EQ(result.error().message, "token expired");
  clock_.advance(365LL * 24 * 3600 * 1000);
  EXPECT_EQ(tokens_.verify(token).error().message, "token expired");
}

TEST_F(Tokens, SignedHandMadeTokenIsAccepted) {
  // Guards the helpers below: a hand-made token of the right form verifies.
  const auto result = tokens_.verify(signed_payload(claims(R"("9")", now_s(), now_s() + 60)));
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->user_id, 9);
  EXPECT_TRUE(result->token_id.empty());
}

TEST_F(Tokens, ExpiredAndForgedIsInvalidNotExpired) {
  const std::string forged =
      make_token(hs256, claims(R"("9")", now_s() - 100, now_s() - 50), EVP_sha256(), "another secret");
  expect_invalid(forged, "forged and expired");
}

TEST_F(Tokens, TamperedPayloadIsRefused) {
  const auto parts = split(tokens_.issue(1000));
  std::string payload = b64url_decode(parts[1]);
  payload.replace(payload.find(R"("sub":"1000")"), 12, R"("sub":"1001")");
  expect_invalid(parts[0] + "." + b64url(payload) + "." + parts[2], "other sub, old signature");

  std::string later = b64url_decode(parts[1]);
  later.replace(later.find(R"("exp":)") + 6, 10, "1999999999");
  expect_invalid(parts[0] + "." + b64url(later) + "." + parts[2], "later exp, old signature");
}

TEST_F(Tokens, TamperedSignatureIsRefused) {
  const std::string token = tokens_.issue(1000);
  const auto parts = split(token);
  for (size_t i = 0; i < parts[2].size(); i += 5) {
    std::string bad = token;
    char& c = bad[parts[0].size() + parts[1].size() + 2 + i];
    c = c == 'A' ? 'B' : 'A';
    expect_invalid(bad, "signature char " + std::to_string(i));
  }
  expect_invalid(parts[0] + "." + parts[1] + ".", "signature removed");
  expect_invalid(parts[0] + "." + parts[1], "signature part removed");
  expect_invalid(token + "A", "signature extended");
  expect_invalid(token + "=", "signature padded");
  expect_invalid(parts[0] + "." + parts[1] + "." + b64url(hmac(EVP_sha256(), "x", parts[0] + "." + parts[1])),
                 "signed with another key");
}

TEST_F(Tokens, OtherSecretIsRefused) {
  TokenService other(secret + "0", 3600s, clock_);
  expect_invalid(other.issue(1), "other service's token");
}

TEST_F(Tokens, AlgNoneIsRefused) {
  const std::string payload = b64url(claims(R"("1")", now_s(), now_s() + 60));
  // The classic forms: {"alg":"none"} with an empty, absent or bogus signature.
  expect_invalid("eyJhbGciOiJub25lIn0." + payload + ".", "alg none, empty signature");
  expect_invalid("eyJhbGciOiJub25lIn0." + payload, "alg none, no signature part");
  expect_invalid("eyJhbGciOiJub25lIn0." + payload + ".c2ln", "alg none, bogus signature");
  const std::string signing_input = "eyJhbGciOiJub25lIn0." + payload;
  expect_invalid(signing_input + "." + b64url(hmac(EVP_sha256(), secret, signing_input)),
                 "alg none with a valid HS256 signature");
  for (const char* alg : {"none", "None", "NONE", "nOnE", ""}) {
    const std::string header = std::string(R"({"alg":")") + alg + R"(","typ":"JWT"})";
    expect_invalid(make_token(header, claims(R"("1")", now_s(), now_s() + 60), nullptr), std::string("alg ") + alg);
    expect_invalid(make_token(header, claims(R"("1")", now_s(), now_s() + 60)), std::string("signed alg ") + alg);
  }
  expect_invalid(make_token(R"({"typ":"JWT"})", claims(R"("1")", now_s(), now_s() + 60)), "no alg");
  expect_invalid(make_token(R"({"alg":null})", claims(R"("1")", now_s(), now_s() + 60)), "alg null");
}

TEST_F(Tokens, LibjwtRefusesAlgNoneWhenGivenAKey) {
  // Pins the library behaviour the service relies on besides its own checks.
  const std::string token = "eyJhbGciOiJub25lIn0." + b64url(claims(R"("1")", now_s(), now_s() + 60)) + ".";
  jwt_t* jwt = nullptr;
  const int rc = jwt_decode(&jwt, token.c_str(), reinterpret_cast<const unsigned char*>(secret.data()),
                            static_cast<int>(secret.size()));
  EXPECT_NE(rc, 0);
  jwt_free(jwt);
}

TEST_F(Tokens, OtherAlgorithmsAreRefused) {
  const std::string payload = claims(R"("1")", now_s(), now_s() + 60);
  // libjwt itself accepts a correctly signed HS512 token for an HMAC key: our alg
  // check is what refuses it.
  const std::string hs512 = make_token(R"({"alg":"HS512","typ":"JWT"})", payload, EVP_sha512());
  jwt_t* jwt = nullptr;
  ASSERT_EQ(jwt_decode(&jwt, hs512.c_str(), reinterpret_cast<const unsigned char*>(secret.data()),
                       static_cast<int>(secret.size())),
            0);
  EXPECT_EQ(jwt_get_alg(jwt), JWT_ALG_HS512);
  jwt_free(jwt);
  expect_invalid(hs512, "HS512");
  expect_invalid(make_token(R"({"alg":"HS384","typ":"JWT"})", payload, EVP_sha384()), "HS384");
  // Key confusion: an asymmetric alg with an HMAC signature made with our secret.
  for (const char* alg : {"RS256", "RS512", "ES256", "PS256", "EdDSA", "hs256", "HS256 "}) {
    const std::string header = std::string(R"({"alg":")") + alg + R"(","typ":"JWT"})";
    expect_invalid(make_token(header, payload), alg);
  }
}

TEST_F(Tokens, GarbageIsRefused) {
  const std::string good = tokens_.issue(1);
  for (const std::string& bad : std::vector<std::string>{
           "", ".", "..", "...", "a.b.c", "a.b.c.d", "Bearer " + good, " " + good, good + " ", good + "\n",
           good + "." + split(good)[2], std::string(good).insert(10, 1, '\0'), good + std::string(1, '\0') + "x",
           "eyJhbGciOiJIUzI1NiJ9", "eyJhbGciOiJIUzI1NiJ9..", "!!!.!!!.!!!", "\xff\xfe.\x80.\x01",
           make_token("not json", claims(R"("1")", now_s(), now_s() + 60)),
           make_token(hs256, "not json"), make_token(hs256, "[1,2,3]"), make_token(hs256, "\"str\""),
           make_token(hs256, "{}"), make_token("[]", claims(R"("1")", now_s(), now_s() + 60))}) {
    expect_invalid(bad, "garbage");
  }
}

TEST_F(Tokens, HugeTokensAreRefusedEarly) {
  expect_invalid(std::string(TokenService::max_token_bytes + 1, 'A'), "4 KiB + 1 of letters");
  expect_invalid(std::string(1 << 20, 'A') + "." + std::string(1 << 20, 'A') + ".AAAA", "2 MiB");
  // A correctly signed token just within the limit passes; one byte more does not.
  const std::string base = claims(R"("1")", now_s(), now_s() + 60);
  auto with_pad = [&](size_t pad) {
    return signed_payload(base.substr(0, base.size() - 1) + R"(,"pad":")" + std::string(pad, 'x') + "\"}");
  };
  size_t pad = 0;
  while (with_pad(pad + 1).size() <= TokenService::max_token_bytes) ++pad;
  std::string fits = with_pad(pad);
  while (fits.size() < TokenService::max_token_bytes && with_pad(pad + 1).size() == fits.size()) fits = with_pad(++pad);
  ASSERT_LE(fits.size(), TokenService::max_token_bytes);
  EXPECT_TRUE(tokens_.verify(fits).ok());
  std::string too_big = with_pad(pad);
  while (too_big.size() <= TokenService::max_token_bytes) too_big = with_pad(++pad);
  expect_invalid(too_big, "signed but over 4 KiB");
}

TEST_F(Tokens, SubjectMustBeAPositiveDecimalString) {
  const long long iat = now_s(), exp = now_s() + 60;
  for (const char* sub : {"1", R"(1.0)", "true", "null", R"(["1"])", R"({"id":"1"})", R"("")", R"("0")", R"("-1")",
                          R"("+1")", R"("1 ")", R"("abc")", R"("0x10")", R"("1e3")", R"("99999999999999999999")"}) {
    expect_invalid(signed_payload(claims(sub, iat, exp)), std::string("sub ") + sub);
  }
  expect_invalid(signed_payload(R"({"iat":)" + std::to_string(iat) + R"(,"exp":)" + std::to_string(exp) + "}"),
                 "no sub");
}

TEST_F(Tokens, TimesMustBeIntegers) {
  const std::string iat = std::to_string(now_s()), exp = std::to_string(now_s() + 60);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"sub":"1","iat":)" + iat + "}", "no exp"},
      {R"({"sub":"1","exp":)" + exp + "}", "no iat"},
      {R"({"sub":"1","iat":)" + iat + R"(,"exp":")" + exp + "\"}", "exp as string"},
      {R"({"sub":"1","iat":)" + iat + R"(,"exp":)" + exp + ".5}", "exp as real"},
      {R"({"sub":"1","iat":)" + iat + R"(,"exp":1e12})", "exp in exponent form"},
      {R"({"sub":"1","iat":)" + iat + R"(,"exp":null})", "exp null"},
      {R"({"sub":"1","iat":)" + iat + R"(,"exp":true})", "exp true"},
      {R"({"sub":"1","iat":)" + iat + R"(,"exp":-1})", "exp negative"},
      {R"({"sub":"1","iat":)" + iat + R"(,"exp":9223372036854775807})", "exp int64 max"},
      {R"({"sub":"1","iat":")" + iat + R"(","exp":)" + exp + "}", "iat as string"},
      {R"({"sub":"1","iat":)" + exp + R"(,"exp":)" + iat + "}", "iat after exp"},
  };
  for (const auto& [payload, what] : cases) expect_invalid(signed_payload(payload), what);
}

TEST_F(Tokens, ConstructorAndIssuePreconditions) {
  EXPECT_THROW(TokenService("", 3600s, clock_), std::invalid_argument);
  EXPECT_THROW(TokenService(secret, 0s, clock_), std::invalid_argument);
  EXPECT_THROW(TokenService(secret, -1s, clock_), std::invalid_argument);
  EXPECT_THROW((void)tokens_.issue(0), std::invalid_argument);
  EXPECT_THROW((void)tokens_.issue(-5), std::invalid_argument);
}

TEST_F(Tokens, ConcurrentIssueAndVerify) {
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (Id i = 1; i <= 300; ++i) {
        const Id user = t * 1000 + i;
        const auto claims = tokens_.verify(tokens_.issue(user));
        if (!claims.ok() || claims->user_id != user) ++failures;
        if (tokens_.verify("eyJhbGciOiJub25lIn0.e30.").ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace parley::auth
