#pragma once
// TokenCache: tokens already verified (signature and claims), so that a client
// that sends the same JWT on every request pays for libjwt's decode and HMAC
// once (≈ 13% of the server's CPU in the history benchmark, bench/analysis.md).
//
// It remembers only what the signature proved: the claims of that exact token.
// Expiry is still checked by the caller on every use, and nothing about the
// user is cached: Accounts still reads the user row, so a deleted user's token
// is refused at once.
//
// A token is keyed by its BLAKE2b-256 digest (collision resistant: another
// token cannot take a cached token's place). Direct-mapped: a fixed table of
// `slots` entries allocated once, a new token replaces whatever held its slot,
// so the cache never allocates after construction nor grows with connections.
// Thread-safety: find() and insert() from any thread (one mutex).

#include <array>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "common/ids.hpp"

namespace parley::auth {

struct CachedClaims {
  Id user_id = 0;
  TimeMs issued_at = 0;
  TimeMs expires_at = 0;
  std::string token_id;
};

class TokenCache {
 public:
  explicit TokenCache(std::size_t slots);

  std::optional<CachedClaims> find(std::string_view token) const;
  // A token_id longer than the slot holds is not cached.
  void insert(std::string_view token, const CachedClaims& claims);

 private:
  using Digest = std::array<unsigned char, 32>;
  struct Slot {
    Digest digest{};
    bool used = false;
    std::uint8_t token_id_size = 0;
    std::array<char, 46> token_id{};
    Id user_id = 0;
    TimeMs issued_at = 0;
    TimeMs expires_at = 0;
  };
  static Digest digest_of(std::string_view token);

  mutable std::mutex mu_;
  std::vector<Slot> slots_;  // GUARDED_BY(mu_); size fixed at construction
};

}  // namespace parley::auth
