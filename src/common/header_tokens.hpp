#pragma once
// Small helpers for the ASCII tokens of HTTP header values (RFC 9110 §5.6):
// optional white space around list items and parameters, and case-insensitive
// token names. Shared by the header parsers of the HTTP layer (ranges, ETags,
// Accept-Encoding) and of the WebSocket layer (extension offers).
//
// Thread-safety: pure functions.

#include <string_view>

namespace parley {

// `s` without leading and trailing spaces and tabs (OWS).
std::string_view trim_ows(std::string_view s);

// ASCII case-insensitive equality (header tokens are ASCII; no locale).
bool iequals_ascii(std::string_view a, std::string_view b);

}  // namespace parley
