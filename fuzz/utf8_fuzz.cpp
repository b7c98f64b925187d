// libFuzzer target for the UTF-8 validator (common/utf8.hpp), the gate for every piece of
// untrusted text. Differential: a plain decoder written from RFC 3629's definition (decode
// each sequence to its code point, then refuse overlongs, surrogates and values above
// U+10FFFF) must agree with the fast validator on every input, and utf8_length must count
// the code points it decoded.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string_view>

#include "common/utf8.hpp"

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

std::optional<std::size_t> reference_length(std::string_view text) {
  std::size_t count = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    int extra;
    std::uint32_t code;
    if (lead < 0x80) {
      extra = 0, code = lead;
    } else if ((lead & 0xE0) == 0xC0) {
      extra = 1, code = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
      extra = 2, code = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
      extra = 3, code = lead & 0x07;
    } else {
      return std::nullopt;
    }
    if (text.size() - i <= static_cast<std::size_t>(extra)) return std::nullopt;
    for (int k = 1; k <= extra; ++k) {
      const auto byte = static_cast<unsigned char>(text[i + k]);
      if ((byte & 0xC0) != 0x80) return std::nullopt;
      code = (code << 6) | (byte & 0x3F);
    }
    static constexpr std::uint32_t kMinimum[] = {0, 0x80, 0x800, 0x10000};
    if (code < kMinimum[extra]) return std::nullopt;             // overlong
    if (code >= 0xD800 && code <= 0xDFFF) return std::nullopt;   // surrogate
    if (code > 0x10FFFF) return std::nullopt;
    i += 1 + static_cast<std::size_t>(extra);
    ++count;
  }
  return count;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto expected = reference_length(input);
  check(parley::is_valid_utf8(input) == expected.has_value());
  check(parley::utf8_length(input) == expected);
  return 0;
}
