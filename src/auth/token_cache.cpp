#include "auth/token_cache.hpp"

#include <sodium.h>

#include <cstring>

namespace parley::auth {

TokenCache::TokenCache(std::size_t slots) : slots_(slots) {}

TokenCache::Digest TokenCache::digest_of(std::string_view token) {
  Digest digest;
  crypto_generichash(digest.data(), digest.size(), reinterpret_cast<const unsigned char*>(token.data()),
                     token.size(), nullptr, 0);
  return digest;
}

namespace {
std::size_t slot_of(const std::array<unsigned char, 32>& digest, std::size_t slots) {
  std::uint64_t h;
  std::memcpy(&h, digest.data(), sizeof h);
  return static_cast<std::size_t>(h % slots);
}
}  // namespace

std::optional<CachedClaims> TokenCache::find(std::string_view token) const {
  if (slots_.empty()) return std::nullopt;
  const Digest digest = digest_of(token);
  std::lock_guard lock(mu_);
  const Slot& slot = slots_[slot_of(digest, slots_.size())];
  if (!slot.used || slot.digest != digest) return std::nullopt;
  return CachedClaims{slot.user_id, slot.issued_at, slot.expires_at,
                      std::string(slot.token_id.data(), slot.token_id_size)};
}

void TokenCache::insert(std::string_view token, const CachedClaims& claims) {
  if (slots_.empty() || claims.token_id.size() > Slot{}.token_id.size()) return;
  const Digest digest = digest_of(token);
  std::lock_guard lock(mu_);
  Slot& slot = slots_[slot_of(digest, slots_.size())];
  slot.digest = digest;
  slot.used = true;
  slot.user_id = claims.user_id;
  slot.issued_at = claims.issued_at;
  slot.expires_at = claims.expires_at;
  slot.token_id_size = static_cast<std::uint8_t>(claims.token_id.size());
  std::memcpy(slot.token_id.data(), claims.token_id.data(), claims.token_id.size());
}

}  // namespace parley::auth
