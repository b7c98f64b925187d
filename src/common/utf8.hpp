#pragma once
// UTF-8 validation for untrusted text: message bodies and names (chat), HTTP long-polling
// bodies, Socket.IO namespaces, WebSocket text frames and close reasons (realtime). The one
// validator of the program: every layer that checks UTF-8 calls this.
//
// Well-formed means RFC 3629: no overlong forms, no surrogates (U+D800..U+DFFF), nothing
// above U+10FFFF, no truncated sequence. NUL is well-formed.
//
// Speed: most chat traffic is ASCII, which is skipped eight bytes at a time; this runs on
// every text frame and polling body, so it is on the hot path of every message.
//
// Thread-safety: pure functions; no state.

#include <cstddef>
#include <optional>
#include <string_view>

namespace parley {

// Number of code points if `text` is well-formed UTF-8; nullopt otherwise.
std::optional<std::size_t> utf8_length(std::string_view text) noexcept;

// True when `text` is well-formed UTF-8 (the same rules, without counting).
bool is_valid_utf8(std::string_view text) noexcept;

}  // namespace parley
