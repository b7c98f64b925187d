#include "common/utf8.hpp"

namespace parley {

std::optional<std::size_t> utf8_length(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  std::size_t count = 0;
  while (p < end) {
    const unsigned char c = *p;
    if (c < 0x80) {
      ++p;
    } else {
      int len;
      unsigned lo = 0x80, hi = 0xBF;  // bounds of the second byte
      if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
      } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0) lo = 0xA0;        // overlong
        else if (c == 0xED) hi = 0x9F;   // surrogates
      } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0) lo = 0x90;        // overlong
        else if (c == 0xF4) hi = 0x8F;   // above U+10FFFF
      } else {
        return std::nullopt;
      }
      if (end - p < len) return std::nullopt;
      if (p[1] < lo || p[1] > hi) return std::nullopt;
      for (int i = 2; i < len; ++i)
        if (p[i] < 0x80 || p[i] > 0xBF) return std::nullopt;
      p += len;
    }
    ++count;
  }
  return count;
}

}  // namespace parley
