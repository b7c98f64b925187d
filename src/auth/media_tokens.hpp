#pragma once
// Media tokens (docs/media.md): short-lived, media-only credentials for the
// `?access=` query parameter of the GET media routes, so that <img src> and
// download links work without cookies and without putting the API token in
// URLs (access logs, Referer headers).
//
//   "<user id>.<expiry, unix seconds>.<hex HMAC-SHA256 of the first two parts>"
//
// The HMAC key is derived from the server's JWT secret (HMAC-SHA256 of a fixed
// label), so media tokens and API tokens can never be exchanged for each other:
// an API JWT is not a media token (wrong shape) and a media token is not an API
// token (not a JWT). The token names its user; membership is still checked on
// every request, so it grants nothing the user has lost meanwhile.
//
// Ownership: keeps only the derived key (wiped on destruction); borrows `clock`.
// Thread-safety: issue() and verify() may be called concurrently from any thread.

#include <chrono>
#include <string>
#include <string_view>

#include "common/clock.hpp"
#include "common/ids.hpp"
#include "common/result.hpp"

namespace parley::auth {

class MediaTokens {
 public:
  static constexpr std::chrono::seconds ttl{3600};

  // REQUIRES: !server_secret.empty() (else std::invalid_argument).
  MediaTokens(std::string_view server_secret, const Clock& clock);
  ~MediaTokens();
  MediaTokens(const MediaTokens&) = delete;
  MediaTokens& operator=(const MediaTokens&) = delete;

  struct Issued {
    std::string token;
    TimeMs expires_at = 0;  // whole seconds, in ms
  };
  // REQUIRES: user > 0.
  Issued issue(Id user) const;
  // The user a valid, unexpired token names; unauthorized otherwise ("invalid
  // media token" / "media token expired"). Never throws.
  Result<Id> verify(std::string_view token) const;

 private:
  std::string mac_hex(std::string_view payload) const;

  unsigned char key_[32];
  const Clock& clock_;
};

}  // namespace parley::auth
