#pragma once
// UTF-8 validation for untrusted text (message bodies, names, event payloads).
// Thread-safety: pure functions.

#include <cstddef>
#include <optional>
#include <string_view>

namespace parley {

// Number of code points if `text` is well-formed UTF-8 (no overlongs, no
// surrogates, nothing above U+10FFFF); nullopt otherwise.
std::optional<std::size_t> utf8_length(std::string_view text);

inline bool is_valid_utf8(std::string_view text) { return utf8_length(text).has_value(); }

}  // namespace parley
