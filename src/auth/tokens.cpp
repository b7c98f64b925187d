#include "auth/tokens.hpp"

#include <jwt.h>
#include <sodium.h>

#include <array>
#include <charconv>
#include <climits>
#include <cstdlib>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>

#include "auth/sodium.hpp"

namespace parley::auth {
namespace {

struct JwtFree {
  void operator()(jwt_t* jwt) const { jwt_free(jwt); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtFree>;

struct CharFree {
  void operator()(char* s) const { std::free(s); }
};
using CStr = std::unique_ptr<char, CharFree>;

Error invalid() { return Error::unauthorized("invalid token"); }
Error expired() { return Error::unauthorized("token expired"); }

bool is_base64url(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

// header.payload.signature, each a non-empty base64url run without padding. This
// also keeps NUL bytes from cutting the C string libjwt sees, and refuses the
// empty-signature form of alg "none" before any decoding.
bool has_jws_shape(std::string_view token) {
  int dots = 0;
  std::size_t run = 0;
  for (char c : token) {
    if (c == '.') {
      if (run == 0) return false;
      ++dots;
      run = 0;
    } else if (is_base64url(c)) {
      ++run;
    } else {
      return false;
    }
  }
  return dots == 2 && run > 0;
}

// A JSON non-negative integer of at most 12 digits (seconds until year 33658): the
// text libjwt gives back for the claim must be digits only, so strings, reals,
// booleans, null, objects and negatives are all refused.
std::optional<long long> integer_claim(jwt_t* jwt, const char* name) {
  const CStr json(jwt_get_grants_json(jwt, name));
  if (!json) return std::nullopt;
  const std::string_view text(json.get());
  if (text.empty() || text.size() > 12) return std::nullopt;
  long long value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || text[0] == '-') return std::nullopt;
  return value;
}

std::string random_token_id() {
  std::array<unsigned char, 16> bytes{};
  randombytes_buf(bytes.data(), bytes.size());
  std::array<char, sodium_base64_ENCODED_LEN(16, sodium_base64_VARIANT_URLSAFE_NO_PADDING)> text{};
  sodium_bin2base64(text.data(), text.size(), bytes.data(), bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return text.data();
}

void check(int rc) {
  if (rc != 0) throw std::bad_alloc();  // libjwt's only failure mode for valid arguments
}

}  // namespace

TokenService::TokenService(std::string secret, std::chrono::seconds ttl, const Clock& clock)
    : secret_(std::move(secret)), ttl_(ttl), clock_(clock) {
  if (secret_.empty() || secret_.size() > INT_MAX)
    throw std::invalid_argument("token secret must be 1 to INT_MAX bytes");
  if (ttl_.count() <= 0) throw std::invalid_argument("token ttl must be positive");
  detail::ensure_sodium();
}

TokenService::~TokenService() { sodium_memzero(secret_.data(), secret_.size()); }

std::string TokenService::issue(Id user_id) const {
  if (user_id <= 0) throw std::invalid_argument("token subject must be a positive id");
  const long long iat = clock_.now_ms() / 1000;
  const long long exp = iat + ttl_.count();

  jwt_t* raw = nullptr;
  check(jwt_new(&raw));
  const JwtPtr jwt(raw);
  check(jwt_add_grant(jwt.get(), "sub", id_to_string(user_id).c_str()));
  check(jwt_add_grant_int(jwt.get(), "iat", iat));
  check(jwt_add_grant_int(jwt.get(), "exp", exp));
  check(jwt_add_grant(jwt.get(), "jti", random_token_id().c_str()));
  check(jwt_set_alg(jwt.get(), JWT_ALG_HS256, reinterpret_cast<const unsigned char*>(secret_.data()),
                    static_cast<int>(secret_.size())));
  const CStr encoded(jwt_encode_str(jwt.get()));
  if (!encoded) throw std::bad_alloc();
  return encoded.get();
}

Result<TokenClaims> TokenService::verify(std::string_view token) const {
  if (token.size() > max_token_bytes || !has_jws_shape(token)) return invalid();
  if (auto hit = cache_.find(token)) {
    // The same text was verified before: only the clock can have changed.
    if (hit->expires_at <= clock_.now_ms()) return expired();
    return TokenClaims{hit->user_id, hit->issued_at, hit->expires_at, std::move(hit->token_id)};
  }

  // jwt_decode checks the signature for whatever algorithm the header names, and
  // with an HMAC key it accepts HS384/HS512 just as well: the alg checks below are
  // what pin HS256. With a key given it refuses alg "none" (tested).
  const std::string terminated(token);
  jwt_t* raw = nullptr;
  const int rc = jwt_decode(&raw, terminated.c_str(), reinterpret_cast<const unsigned char*>(secret_.data()),
                            static_cast<int>(secret_.size()));
  const JwtPtr jwt(raw);
  if (rc != 0 || !jwt) return invalid();
  if (jwt_get_alg(jwt.get()) != JWT_ALG_HS256) return invalid();
  // libjwt matches alg names ignoring case ("hs256"); we issue exactly "HS256".
  const char* alg = jwt_get_header(jwt.get(), "alg");
  if (!alg || std::string_view(alg) != "HS256") return invalid();

  const char* sub = jwt_get_grant(jwt.get(), "sub");  // NULL unless a JSON string
  const auto user_id = sub ? parse_id(sub) : std::nullopt;
  const auto iat = integer_claim(jwt.get(), "iat");
  const auto exp = integer_claim(jwt.get(), "exp");
  if (!user_id || !iat || !exp || *iat > *exp) return invalid();

  TokenClaims claims;
  claims.user_id = *user_id;
  claims.issued_at = *iat * 1000;
  claims.expires_at = *exp * 1000;
  if (claims.expires_at <= clock_.now_ms()) return expired();
  if (const char* jti = jwt_get_grant(jwt.get(), "jti")) claims.token_id = jti;
  cache_.insert(token, CachedClaims{claims.user_id, claims.issued_at, claims.expires_at, claims.token_id});
  return claims;
}

}  // namespace parley::auth
