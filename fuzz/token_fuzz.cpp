// libFuzzer target: arbitrary bytes through TokenService::verify.
// verify must never crash, leak or read out of bounds, and must answer either
// claims or Error::unauthorized.
//
// Two modes, by the first byte:
//   '{'   the input is a claims payload: the target signs it (HS256, the secret
//         below) so that mutations reach the claim checks behind the signature;
//   else  the input is the token itself, as a client would send it.
// Seeds in fuzz/corpus/token/ hold both kinds; the signed tokens there were made
// with the secret below at the fixed clock time.

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "auth/tokens.hpp"
#include "common/clock.hpp"

namespace {

constexpr std::string_view fuzz_secret = "parley-fuzz-secret-0123456789abcdef0123456789";

const parley::auth::TokenService& service() {
  static const parley::FakeClock clock(1767225600000);  // 2026-01-01T00:00:00Z
  static const parley::auth::TokenService tokens(std::string(fuzz_secret), std::chrono::hours(24 * 365), clock);
  return tokens;
}

std::string b64url(const unsigned char* bytes, std::size_t size) {
  std::string out(sodium_base64_ENCODED_LEN(size, sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), bytes, size, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(out.size() - 1);
  return out;
}

std::string sign_payload(std::string_view payload) {
  static constexpr std::string_view header = R"({"alg":"HS256","typ":"JWT"})";
  std::string input = b64url(reinterpret_cast<const unsigned char*>(header.data()), header.size()) + "." +
                      b64url(reinterpret_cast<const unsigned char*>(payload.data()), payload.size());
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), fuzz_secret.data(), static_cast<int>(fuzz_secret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &len);
  return input + "." + b64url(mac, len);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const std::string token = !bytes.empty() && bytes[0] == '{' ? sign_payload(bytes) : std::string(bytes);
  const auto result = service().verify(token);
  if (result.ok()) {
    if (result->user_id <= 0 || result->expires_at < result->issued_at ||
        token.size() > parley::auth::TokenService::max_token_bytes)
      std::abort();
  } else if (result.error().kind != parley::ErrorKind::unauthorized) {
    std::abort();
  }
  return 0;
}
