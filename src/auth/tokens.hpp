#pragma once
// Access tokens: JWT (RFC 7519) signed with HMAC-SHA256, through libjwt.
//
//   header  {"alg":"HS256","typ":"JWT"}
//   claims  {"sub":"<user id, decimal string>","iat":<s>,"exp":<s>,"jti":"<random>"}
//
// verify() accepts only what issue() produces: HS256 with our secret, a decimal
// string `sub`, integer `iat` and `exp`, not yet expired. Anything else, including
// alg "none", other algorithms, unsigned or oversized tokens, is unauthorized.
//
// Ownership: the service keeps its own copy of the secret (wiped on destruction)
// and borrows `clock`, which must outlive it.
// Thread-safety: issue() and verify() may be called concurrently from any thread
// (every libjwt object is local to one call; the cache of verified tokens locks).

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "auth/token_cache.hpp"
#include "common/clock.hpp"
#include "common/ids.hpp"
#include "common/result.hpp"

namespace parley::auth {

struct TokenClaims {
  Id user_id = 0;
  TimeMs issued_at = 0;   // whole seconds, as carried by the token, in ms
  TimeMs expires_at = 0;  // idem; the token is valid while now < expires_at
  std::string token_id;   // the "jti" claim: unique per token, for logs or revocation
};

class TokenService {
 public:
  // Longer inputs are refused before any decoding (an issued token is ~200 bytes).
  static constexpr std::size_t max_token_bytes = 4096;

  // REQUIRES: !secret.empty() and ttl > 0 (else std::invalid_argument).
  // The secret is used as the HMAC key byte for byte; see secret.hpp for its source.
  TokenService(std::string secret, std::chrono::seconds ttl, const Clock& clock);
  ~TokenService();
  TokenService(const TokenService&) = delete;
  TokenService& operator=(const TokenService&) = delete;

  // A signed token for `user_id`, valid from now for ttl().
  // REQUIRES: user_id > 0. Throws std::bad_alloc if libjwt cannot allocate.
  std::string issue(Id user_id) const;

  // The claims of a valid token, else Error::unauthorized with the message
  // "token expired" (well-formed, correctly signed, past its exp) or "invalid token"
  // (everything else). Never throws on any input.
  Result<TokenClaims> verify(std::string_view token) const;

  std::chrono::seconds ttl() const { return ttl_; }

  // Slots of the cache of verified tokens (see token_cache.hpp), 112 bytes each.
  static constexpr std::size_t cached_tokens = 1024;

 private:
  std::string secret_;
  std::chrono::seconds ttl_;
  const Clock& clock_;
  mutable TokenCache cache_{cached_tokens};
};

}  // namespace parley::auth
