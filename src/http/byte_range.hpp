#pragma once
// HTTP Range and If-None-Match for downloads (RFC 9110 §14, §13.1.2), as the
// media routes use them: one byte range at most. A multi-range request, a
// malformed one or another unit is ignored (the whole file, 200), which the
// RFC allows; a syntactically valid range that starts past the end is
// unsatisfiable (416).
//
// Thread-safety: pure functions.

#include <cstdint>
#include <string_view>

namespace parley::http {

struct RangeAnswer {
  enum class Kind { whole, partial, unsatisfiable };
  Kind kind = Kind::whole;
  std::int64_t first = 0;   // partial: the first byte
  std::int64_t length = 0;  // partial: how many bytes
};

// `header`: the Range header as sent (may be empty); `size`: the file's size.
RangeAnswer parse_range(std::string_view header, std::int64_t size);

// True when an If-None-Match header lists `etag` (a quoted strong tag) or is
// "*": weak comparison, as the RFC asks for If-None-Match.
bool etag_matches(std::string_view if_none_match, std::string_view etag);

}  // namespace parley::http
