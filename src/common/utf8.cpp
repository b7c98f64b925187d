#include "common/utf8.hpp"

#include <cstdint>
#include <cstring>

namespace parley {
namespace {

// Length of the well-formed sequence at `p` (1 to 4 bytes), or 0 when it is malformed.
// REQUIRES: p < end.
inline int sequence_length(const unsigned char* p, const unsigned char* end) noexcept {
  const unsigned char c = *p;
  if (c < 0x80) return 1;
  int length;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    length = 2;
  } else if (c == 0xE0) {
    length = 3, lo = 0xA0;  // no overlong 3-byte forms
  } else if (c >= 0xE1 && c <= 0xEC) {
    length = 3;
  } else if (c == 0xED) {
    length = 3, hi = 0x9F;  // no surrogates
  } else if (c >= 0xEE && c <= 0xEF) {
    length = 3;
  } else if (c == 0xF0) {
    length = 4, lo = 0x90;  // no overlong 4-byte forms
  } else if (c >= 0xF1 && c <= 0xF3) {
    length = 4;
  } else if (c == 0xF4) {
    length = 4, hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return 0;  // continuation byte in lead position, C0, C1, F5..FF
  }
  if (end - p < length) return 0;
  if (p[1] < lo || p[1] > hi) return 0;
  for (int i = 2; i < length; ++i) {
    if ((p[i] & 0xC0) != 0x80) return 0;
  }
  return length;
}

// Eight bytes at `p` are all ASCII. REQUIRES: end - p >= 8.
inline bool ascii_word(const unsigned char* p) noexcept {
  std::uint64_t word;
  std::memcpy(&word, p, sizeof word);
  return (word & 0x8080808080808080ULL) == 0;
}

}  // namespace

std::optional<std::size_t> utf8_length(std::string_view text) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const unsigned char* const end = p + text.size();
  std::size_t count = 0;
  while (p < end) {
    if (end - p >= 8 && ascii_word(p)) {
      p += 8;
      count += 8;
      continue;
    }
    const int length = sequence_length(p, end);
    if (length == 0) return std::nullopt;
    p += length;
    ++count;
  }
  return count;
}

bool is_valid_utf8(std::string_view text) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const unsigned char* const end = p + text.size();
  while (p < end) {
    if (end - p >= 8 && ascii_word(p)) {
      p += 8;
      continue;
    }
    const int length = sequence_length(p, end);
    if (length == 0) return false;
    p += length;
  }
  return true;
}

}  // namespace parley
