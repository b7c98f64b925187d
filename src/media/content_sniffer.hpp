#pragma once
// What a file is, from its first bytes (docs/media.md): never from the
// client's Content-Type or the name's extension. Recognises the common image,
// audio, video, document and archive formats by their signatures; text is
// "text/plain; charset=utf-8" when the sample is valid UTF-8 without NULs or
// control bytes (a character cut by the sample's end is allowed); anything else is
// application/octet-stream. HTML, SVG and XML are recognised so that they are
// served as attachments (never rendered inline): see serve_inline().
//
// Thread-safety: pure functions.

#include <string>
#include <string_view>

namespace parley::media {

// How many leading bytes sniff() looks at.
inline constexpr std::size_t kSniffBytes = 512;

// The content type of a file whose first bytes are `head` (up to kSniffBytes;
// fewer only when the file is shorter).
std::string sniff_content_type(std::string_view head);

// True only for types a browser displays without running anything (raster
// images, audio, video, PDF, plain text): those are served
// `Content-Disposition: inline`; everything else `attachment`.
bool serve_inline(std::string_view content_type);

}  // namespace parley::media
