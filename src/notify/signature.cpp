#include "notify/signature.hpp"

#include <sodium.h>

#include <cstdlib>

#include <fmt/format.h>

namespace parley::notify {

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
  // Idempotent and thread-safe; -1 only when the system has no entropy
  // source, which HMAC does not need, but libsodium wants it called first.
  if (sodium_init() < 0) std::abort();
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key.data()), key.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_final(&state, mac);
  sodium_memzero(&state, sizeof state);
  char hex[2 * crypto_auth_hmacsha256_BYTES + 1];
  sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
  return std::string(hex, 2 * crypto_auth_hmacsha256_BYTES);
}

std::string webhook_signature(std::string_view secret, std::int64_t timestamp, std::string_view body) {
  std::string signed_text = fmt::format("{}.", timestamp);
  signed_text.append(body);
  return "sha256=" + hmac_sha256_hex(secret, signed_text);
}

}  // namespace parley::notify
