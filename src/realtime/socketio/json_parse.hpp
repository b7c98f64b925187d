#pragma once
// Parsing of JSON payloads for the Socket.IO codec: exactly one JSON text (JSON whitespace
// around it allowed), with doubles rounded correctly.
//
// Why not boost::json::parse: the Boost 1.81 parser rounds many doubles wrongly (about one
// in five random doubles, including ordinary values such as -172.43127776997827, comes out
// an ulp or more away), so a number relayed from one client to another would change on
// the way. This parser keeps Boost's grammar, limits and value tree and converts each
// double's text with std::from_chars, which rounds correctly, as JSON.parse does.
// It also refuses numbers beyond the range of a finite double (1e400): JSON.parse reads
// them as Infinity, which no JSON encoder can write back.
//
// Thread-safety: pure function. The returned value uses the default memory resource.

#include <cstddef>
#include <optional>
#include <string_view>

#include <boost/json/value.hpp>

namespace parley::socketio {

// The value of `text`, or nullopt when `text` is not exactly one JSON value (syntax error,
// trailing data, invalid UTF-8 in a string, nesting deeper than `max_depth`, a number out
// of the range of double).
std::optional<boost::json::value> parse_json(std::string_view text, std::size_t max_depth);

}  // namespace parley::socketio
