#include "auth/media_tokens.hpp"

#include <sodium.h>

#include <charconv>
#include <stdexcept>

#include "auth/sodium.hpp"

namespace parley::auth {

namespace {

constexpr std::string_view kKeyLabel = "parley media token key v1";
constexpr std::size_t kMacHexChars = 2 * crypto_auth_hmacsha256_BYTES;

template <class T>
bool parse_decimal(std::string_view text, T& out) {
  if (text.empty() || text.size() > 19 || text.front() == '0') return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

MediaTokens::MediaTokens(std::string_view server_secret, const Clock& clock) : clock_(clock) {
  if (server_secret.empty()) throw std::invalid_argument("MediaTokens needs a secret");
  detail::ensure_sodium();
  // A key of its own: a media token's MAC is never a valid signature of anything else.
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(server_secret.data()),
                              server_secret.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(kKeyLabel.data()), kKeyLabel.size());
  crypto_auth_hmacsha256_final(&state, key_);
  sodium_memzero(&state, sizeof state);
}

MediaTokens::~MediaTokens() { sodium_memzero(key_, sizeof key_); }

std::string MediaTokens::mac_hex(std::string_view payload) const {
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256(mac, reinterpret_cast<const unsigned char*>(payload.data()), payload.size(), key_);
  std::string hex(kMacHexChars + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), mac, sizeof mac);
  hex.pop_back();
  return hex;
}

MediaTokens::Issued MediaTokens::issue(Id user) const {
  const std::int64_t expires = clock_.now_ms() / 1000 + ttl.count();
  std::string payload = std::to_string(user) + "." + std::to_string(expires);
  Issued issued;
  issued.expires_at = expires * 1000;
  issued.token = payload + "." + mac_hex(payload);
  return issued;
}

Result<Id> MediaTokens::verify(std::string_view token) const {
  const Error invalid = Error::unauthorized("invalid media token");
  if (token.size() > 128) return invalid;
  const auto last = token.rfind('.');
  if (last == std::string_view::npos || token.size() - last - 1 != kMacHexChars) return invalid;
  const std::string_view payload = token.substr(0, last);
  const auto first = payload.find('.');
  if (first == std::string_view::npos) return invalid;
  Id user = 0;
  std::int64_t expires = 0;
  if (!parse_decimal(payload.substr(0, first), user) || !parse_decimal(payload.substr(first + 1), expires))
    return invalid;
  const std::string expected = mac_hex(payload);
  if (sodium_memcmp(expected.data(), token.data() + last + 1, kMacHexChars) != 0) return invalid;
  if (clock_.now_ms() / 1000 >= expires) return Error::unauthorized("media token expired");
  return user;
}

}  // namespace parley::auth
