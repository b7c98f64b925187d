#pragma once
// UTF-8 validation for text that arrives outside a WebSocket text frame (HTTP long-polling
// bodies, Socket.IO namespaces). WebSocket text frames are already validated by the
// WebSocket layer (RFC 6455 §8.1), so the codecs do not validate them twice.
//
// Thread-safety: pure function; no state.

#include <string_view>

namespace parley::engineio {

// True when `bytes` is well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates
// (U+D800..U+DFFF), nothing above U+10FFFF, no truncated sequence.
bool is_valid_utf8(std::string_view bytes) noexcept;

}  // namespace parley::engineio
