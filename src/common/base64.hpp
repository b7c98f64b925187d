#pragma once
// Base64 (RFC 4648 §4, standard alphabet, with '=' padding): Engine.IO carries binary
// packets inside a text HTTP long-polling payload as "b" + base64, the WebSocket opening
// handshake encodes its keys with it, and session ids are built from it. Here, below the
// real-time layers, so that each of them can use it without pointing up (docs/protocol.md).
//
// The decoder is strict: it accepts exactly what a conforming encoder produces (what
// browsers' btoa/FileReader and Node's Buffer#toString("base64") emit), so a decoded value
// re-encodes to the same text. Rejected: characters outside the alphabet (including the
// URL-safe '-' and '_', whitespace and line breaks), missing or misplaced padding, a length
// that is not a multiple of 4, and non-zero bits in the last character before padding.
//
// Thread-safety: pure functions; no state. Output strings are owned by the caller.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace parley {

// Length of the base64 text for `byte_count` bytes (with padding).
constexpr std::size_t base64_encoded_size(std::size_t byte_count) noexcept {
  return (byte_count + 2) / 3 * 4;
}

// Appends the base64 text of `bytes` to `out`.
void base64_encode_to(std::string& out, std::string_view bytes);

std::string base64_encode(std::string_view bytes);

// Appends the decoded bytes of `text` to `out`. On failure returns false and leaves `out`
// as it was.
bool base64_decode_to(std::string& out, std::string_view text);

// The decoded bytes of `text`, or nullopt when `text` is not canonical padded base64.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace parley
