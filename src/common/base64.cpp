#include "common/base64.hpp"

#include <array>
#include <cstdint>

namespace parley {
namespace {

constexpr char kAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::uint8_t kInvalid = 0xFF;

constexpr std::array<std::uint8_t, 256> make_reverse() {
  std::array<std::uint8_t, 256> table{};
  for (auto& entry : table) entry = kInvalid;
  for (std::uint8_t i = 0; i < 64; ++i) {
    table[static_cast<unsigned char>(kAlphabet[i])] = i;
  }
  return table;
}

constexpr std::array<std::uint8_t, 256> kReverse = make_reverse();

}  // namespace

void base64_encode_to(std::string& out, std::string_view bytes) {
  const std::size_t start = out.size();
  out.resize(start + base64_encoded_size(bytes.size()));
  char* dst = out.data() + start;
  const auto* src = reinterpret_cast<const unsigned char*>(bytes.data());
  std::size_t remaining = bytes.size();
  while (remaining >= 3) {
    const std::uint32_t n = (std::uint32_t{src[0]} << 16) | (std::uint32_t{src[1]} << 8) | src[2];
    dst[0] = kAlphabet[(n >> 18) & 63];
    dst[1] = kAlphabet[(n >> 12) & 63];
    dst[2] = kAlphabet[(n >> 6) & 63];
    dst[3] = kAlphabet[n & 63];
    src += 3;
    dst += 4;
    remaining -= 3;
  }
  if (remaining == 1) {
    const std::uint32_t n = std::uint32_t{src[0]} << 16;
    dst[0] = kAlphabet[(n >> 18) & 63];
    dst[1] = kAlphabet[(n >> 12) & 63];
    dst[2] = '=';
    dst[3] = '=';
  } else if (remaining == 2) {
    const std::uint32_t n = (std::uint32_t{src[0]} << 16) | (std::uint32_t{src[1]} << 8);
    dst[0] = kAlphabet[(n >> 18) & 63];
    dst[1] = kAlphabet[(n >> 12) & 63];
    dst[2] = kAlphabet[(n >> 6) & 63];
    dst[3] = '=';
  }
}

std::string base64_encode(std::string_view bytes) {
  std::string out;
  base64_encode_to(out, bytes);
  return out;
}

bool base64_decode_to(std::string& out, std::string_view text) {
  if (text.size() % 4 != 0) return false;
  if (text.empty()) return true;
  std::size_t padding = 0;
  if (text.back() == '=') padding = text[text.size() - 2] == '=' ? 2 : 1;

  const std::size_t start = out.size();
  out.resize(start + text.size() / 4 * 3 - padding);
  char* dst = out.data() + start;
  const auto* src = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t full_quads = text.size() / 4 - (padding ? 1 : 0);

  for (std::size_t q = 0; q < full_quads; ++q, src += 4, dst += 3) {
    const std::uint8_t a = kReverse[src[0]], b = kReverse[src[1]], c = kReverse[src[2]],
                       d = kReverse[src[3]];
    if (((a | b | c | d) & 0xC0) != 0) {  // kInvalid has the high bits set
      out.resize(start);
      return false;
    }
    const std::uint32_t n = (std::uint32_t{a} << 18) | (std::uint32_t{b} << 12) |
                            (std::uint32_t{c} << 6) | d;
    dst[0] = static_cast<char>(n >> 16);
    dst[1] = static_cast<char>(n >> 8);
    dst[2] = static_cast<char>(n);
  }
  if (padding == 0) return true;

  // The last quad: "xx==" carries one byte, "xxx=" two. Bits past them must be zero.
  const std::uint8_t a = kReverse[src[0]], b = kReverse[src[1]];
  const std::uint8_t c = padding == 1 ? kReverse[src[2]] : 0;
  const bool bad = a == kInvalid || b == kInvalid || c == kInvalid ||
                   (padding == 2 && (b & 0x0F) != 0) || (padding == 1 && (c & 0x03) != 0);
  if (bad) {
    out.resize(start);
    return false;
  }
  dst[0] = static_cast<char>((a << 2) | (b >> 4));
  if (padding == 1) dst[1] = static_cast<char>(((b & 0x0F) << 4) | (c >> 2));
  return true;
}

std::optional<std::string> base64_decode(std::string_view text) {
  std::string out;
  if (!base64_decode_to(out, text)) return std::nullopt;
  return out;
}

}  // namespace parley
