#pragma once
// Thumbnails of uploaded images with libvips (docs/media.md): decodes an image
// file, applies its EXIF orientation, and writes WebP thumbnails with every
// metadata block (EXIF with GPS, XMP, IPTC, ICC comments) stripped.
//
// Untrusted input: the file may be anything claiming to be an image. The
// header is read first and an image larger than `max_pixels` (a decompression
// bomb: a small file of huge dimensions) is refused before any pixel is
// decoded; a malformed or truncated file is refused with bad_request and a
// clear message. Time and memory are bounded by PreviewSandbox
// (preview_sandbox.hpp), which runs this in a child process with limits, so
// that even a crash in a decoder library cannot harm the server.
//
// Thread-safety: make_previews may run on several threads at once (libvips is
// thread-safe once initialised by init_image_library()).

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace parley::media {

struct PreviewLimits {
  std::int64_t max_pixels = 50'000'000;         // width × height of the decoded image (50 MP)
  std::int64_t max_input_bytes = 64 << 20;      // images larger than this get no preview
  std::chrono::milliseconds timeout{20'000};    // per image, wall clock (sandbox)
  std::int64_t max_memory_bytes = 1LL << 30;    // address space of the child (sandbox)
};

struct Thumbnail {
  int max_side = 0;            // the size asked for: 320 or 1280
  int width = 0;
  int height = 0;
  std::string content_type;    // "image/webp"
  std::string bytes;           // the encoded thumbnail
};

struct Previews {
  int width = 0;               // of the original, after EXIF orientation
  int height = 0;
  std::vector<Thumbnail> thumbnails;  // one per size asked, in order; never upscaled
};

// The sizes Parley makes: a list thumbnail and a lightbox preview.
inline constexpr int kThumbnailSmall = 320;
inline constexpr int kThumbnailLarge = 1280;

// Content types make_previews accepts (others: unsupported_media_type).
bool previewable_content_type(std::string_view content_type);

// Once per process, before any make_previews.
void init_image_library();

// In-process decode and encode. bad_request (code "image_refused") for a
// malformed, truncated or too large image, with the reason in the message.
Result<Previews> make_previews(const std::filesystem::path& image, const std::vector<int>& max_sides,
                               const PreviewLimits& limits);

}  // namespace parley::media
