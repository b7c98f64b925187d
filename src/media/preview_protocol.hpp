#pragma once
// The bytes between PreviewSandbox and its child (`parley preview-child`), on
// pipes: one request down, one answer up, each a frame of a 4-byte
// little-endian length and a payload of fixed-size integers and
// length-prefixed strings. The parent decodes the answer as untrusted input
// (the child may have been subverted by the image it decoded): every length is
// checked against what remains and against a cap, every value against the
// request (the sizes asked for, a thumbnail no larger than its size, WebP
// only), and anything else is refused.
//
// Thread-safety: pure functions.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "media/image_previews.hpp"

namespace parley::media::preview_protocol {

inline constexpr std::uint32_t kMaxRequestBytes = 64 << 10;
// Two WebP thumbnails of at most 1280 px are well under 2 MB; larger sizes may
// be asked, so the cap is generous but bounded.
inline constexpr std::uint32_t kMaxAnswerBytes = 32 << 20;

struct Request {
  std::string path;
  std::vector<int> max_sides;
  std::int64_t max_pixels = 0;
  std::int64_t max_input_bytes = 0;
};

// A whole frame (length prefix included).
std::string encode_request(const Request& request);
std::string encode_answer(const Result<Previews>& answer);

// The length in a 4-byte prefix; nullopt when above `cap`.
std::optional<std::uint32_t> frame_length(std::string_view prefix4, std::uint32_t cap);

// Payloads (without the prefix). nullopt when malformed.
std::optional<Request> decode_request(std::string_view payload);
// bad_request "image_refused" when malformed or inconsistent with `max_sides`;
// otherwise the child's answer: its Previews, or its refusal (only
// bad_request and unsupported_media_type are believed).
Result<Previews> decode_answer(std::string_view payload, const std::vector<int>& max_sides);

}  // namespace parley::media::preview_protocol
