#include "media/file_names.hpp"

#include <cstdint>
#include <vector>

namespace parley::media {
namespace {

constexpr std::size_t kMaxNameBytes = 255;
constexpr std::size_t kMaxExtensionBytes = 16;
constexpr char32_t kReplacement = 0xFFFD;

// Decodes UTF-8 (RFC 3629), one U+FFFD per maximal invalid subpart, as the
// Unicode standard recommends, so that a bad byte never swallows good text.
std::vector<char32_t> decode(std::string_view raw) {
  std::vector<char32_t> out;
  out.reserve(raw.size());
  std::size_t i = 0;
  while (i < raw.size()) {
    const auto lead = static_cast<unsigned char>(raw[i]);
    if (lead < 0x80) {
      out.push_back(lead);
      ++i;
      continue;
    }
    int extra;
    char32_t code;
    unsigned char low = 0x80, high = 0xBF;  // the allowed range of the second byte
    if (lead >= 0xC2 && lead <= 0xDF) {
      extra = 1, code = lead & 0x1F;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      extra = 2, code = lead & 0x0F;
      if (lead == 0xE0) low = 0xA0;   // overlong
      if (lead == 0xED) high = 0x9F;  // surrogates
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      extra = 3, code = lead & 0x07;
      if (lead == 0xF0) low = 0x90;   // overlong
      if (lead == 0xF4) high = 0x8F;  // above U+10FFFF
    } else {
      out.push_back(kReplacement);
      ++i;
      continue;
    }
    std::size_t k = 1;
    for (; k <= static_cast<std::size_t>(extra) && i + k < raw.size(); ++k) {
      const auto b = static_cast<unsigned char>(raw[i + k]);
      const auto lo = k == 1 ? low : static_cast<unsigned char>(0x80);
      const auto hi = k == 1 ? high : static_cast<unsigned char>(0xBF);
      if (b < lo || b > hi) break;
      code = (code << 6) | (b & 0x3F);
    }
    if (k == static_cast<std::size_t>(extra) + 1) {
      out.push_back(code);
    } else {
      out.push_back(kReplacement);
    }
    i += k;
  }
  return out;
}

void encode(char32_t c, std::string& out) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

std::size_t encoded_size(char32_t c) { return c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4; }

bool is_control(char32_t c) { return c < 0x20 || (c >= 0x7F && c <= 0x9F); }

// Invisible characters that make a name read differently from what it is:
// bidirectional overrides ("invoice\u202Efdp.exe" shows as "invoiceexe.pdf"),
// zero-width characters, the byte order mark, line and paragraph separators.
bool is_invisible(char32_t c) {
  return (c >= 0x200B && c <= 0x200F) || (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069) ||
         c == 0x2028 || c == 0x2029 || c == 0xFEFF || c == 0x061C;
}

bool is_trailing_space(char32_t c) { return c == ' ' || c == 0xA0 || c == 0x3000; }
bool is_trimmed(char32_t c) { return c == '.' || is_trailing_space(c); }

}  // namespace

std::string sanitize_file_name(std::string_view raw) {
  auto chars = decode(raw);
  // The last path segment only: browsers send "C:\fakepath\x.png", tools "a/b/x.png".
  std::size_t start = 0;
  for (std::size_t i = 0; i < chars.size(); ++i)
    if (chars[i] == '/' || chars[i] == '\\') start = i + 1;
  std::vector<char32_t> name;
  for (std::size_t i = start; i < chars.size(); ++i) {
    if (is_invisible(chars[i])) continue;
    name.push_back(is_control(chars[i]) ? U'_' : chars[i]);
  }
  // No leading dots (hidden files, "..") or spaces; no trailing ones (Windows drops them).
  std::size_t first = 0, last = name.size();
  while (first < last && is_trimmed(name[first])) ++first;
  while (last > first && is_trailing_space(name[last - 1])) --last;
  name.assign(name.begin() + static_cast<std::ptrdiff_t>(first), name.begin() + static_cast<std::ptrdiff_t>(last));
  if (name.empty()) return "file";

  // The extension, kept whole when the name is cut: a short tail after the last dot.
  std::size_t dot = name.size();
  for (std::size_t i = name.size(); i-- > 1;) {
    if (name[i] == '.') {
      dot = i;
      break;
    }
  }
  std::size_t extension_bytes = 0;
  for (std::size_t i = dot; i < name.size(); ++i) extension_bytes += encoded_size(name[i]);
  if (extension_bytes > kMaxExtensionBytes) dot = name.size(), extension_bytes = 0;

  // How much of the stem fits; a cut may end it on a space, trimmed as above,
  // so that sanitizing a sanitized name changes nothing (the fuzz target checks it).
  const std::size_t budget = kMaxNameBytes - extension_bytes;
  std::size_t kept = 0, bytes = 0;
  while (kept < dot && bytes + encoded_size(name[kept]) <= budget) bytes += encoded_size(name[kept++]);
  if (kept < dot)
    while (kept > 0 && is_trailing_space(name[kept - 1])) --kept;
  std::string out;
  for (std::size_t i = 0; i < kept; ++i) encode(name[i], out);
  for (std::size_t i = dot; i < name.size(); ++i) encode(name[i], out);
  return out;
}

std::string content_disposition(std::string_view sanitized_name, bool inline_display) {
  std::string value = inline_display ? "inline" : "attachment";
  // The ASCII fallback for old clients: anything outside printable ASCII, and
  // the quoted-string's own specials, become '_'.
  value += "; filename=\"";
  for (char32_t c : decode(sanitized_name)) {
    if (c < 0x20 || c >= 0x7F || c == '"' || c == '\\' || c == '%')
      value += '_';
    else
      value += static_cast<char>(c);
  }
  value += "\"; filename*=UTF-8''";
  // RFC 5987 attr-char stays; every other byte is percent-encoded.
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string utf8;
  for (char32_t c : decode(sanitized_name)) encode(c, utf8);
  for (char ch : utf8) {
    const auto b = static_cast<unsigned char>(ch);
    const bool attr_char = (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') ||
                           b == '!' || b == '#' || b == '$' || b == '&' || b == '+' || b == '-' || b == '.' ||
                           b == '^' || b == '_' || b == '`' || b == '|' || b == '~';
    if (attr_char) {
      value += ch;
    } else {
      value += '%';
      value += kHex[b >> 4];
      value += kHex[b & 15];
    }
  }
  return value;
}

}  // namespace parley::media
