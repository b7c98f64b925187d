#include "realtime/engineio/utf8.hpp"

#include <cstdint>
#include <cstring>

namespace parley::engineio {

bool is_valid_utf8(std::string_view bytes) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const unsigned char* const end = p + bytes.size();
  while (p < end) {
    // Most chat traffic is ASCII: skip it eight bytes at a time.
    if (end - p >= 8) {
      std::uint64_t word;
      std::memcpy(&word, p, sizeof word);
      if ((word & 0x8080808080808080ULL) == 0) {
        p += 8;
        continue;
      }
    }
    const unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
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
      return false;  // continuation byte in lead position, C0, C1, F5..FF
    }
    if (end - p < length) return false;
    if (p[1] < lo || p[1] > hi) return false;
    for (int i = 2; i < length; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
    }
    p += length;
  }
  return true;
}

}  // namespace parley::engineio
