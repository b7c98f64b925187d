#pragma once
// The webhook's signature (docs/features.md, "Notifications"): HMAC-SHA256
// with the shared secret over "<timestamp>.<body>", sent as
// X-Parley-Signature: sha256=<lowercase hex>. The timestamp is in the signed
// text so that a receiver can reject a replayed request by its age.
//
// Thread-safety: pure functions.

#include <cstdint>
#include <string>
#include <string_view>

namespace parley::notify {

// Lowercase hex of HMAC-SHA256(key, data) (any key length, as RFC 2104).
std::string hmac_sha256_hex(std::string_view key, std::string_view data);
// "sha256=" + hmac_sha256_hex(secret, "<timestamp>.<body>")
std::string webhook_signature(std::string_view secret, std::int64_t timestamp, std::string_view body);

}  // namespace parley::notify
