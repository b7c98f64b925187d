#pragma once
// File names as users send them, made safe to store, show and put in a
// Content-Disposition header (docs/media.md): valid UTF-8 only (invalid bytes
// replaced), no path (anything up to the last '/' or '\' dropped), no control
// characters, no leading dots or spaces, at most 255 bytes (cut on a character
// boundary, keeping the extension), never empty ("file").
//
// Thread-safety: pure functions.

#include <string>
#include <string_view>

namespace parley::media {

std::string sanitize_file_name(std::string_view raw);

// The Content-Disposition value for a sanitized name: `attachment` or
// `inline`, with an ASCII fallback filename="..." and RFC 5987 filename*=UTF-8''...
std::string content_disposition(std::string_view sanitized_name, bool inline_display);

}  // namespace parley::media
