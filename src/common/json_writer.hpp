#pragma once
// Appends JSON text to a std::string without building a document tree: for the
// hot paths (history pages, broadcasts) where boost::json's allocations per
// field dominate the cost. Strings are escaped as RFC 8259 requires; the caller
// keeps the structure well-formed (keys, commas, brackets).
//
// Thread-safety: pure functions over the caller's string.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/clock.hpp"

namespace parley::json_text {

// "text" with quotes, escaping ", \ and control characters. Input is assumed to
// be valid UTF-8 (validated on the way in) and is copied byte for byte.
void append_string(std::string& out, std::string_view text);
void append_int(std::string& out, std::int64_t value);
// The id as a JSON string: "123".
void append_id(std::string& out, std::int64_t id);
// "2026-11-28T02:25:30.123Z" with quotes.
void append_time(std::string& out, TimeMs t);

}  // namespace parley::json_text
