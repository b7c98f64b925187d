// Signatures from the formats' own specifications (JPEG JFIF/Exif SOI marker,
// PNG §5.2, GIF89a, RIFF, ISO BMFF `ftyp`, EBML, ZIP APPNOTE §4.3.7 …) and the
// WHATWG MIME Sniffing standard's HTML patterns. Order matters only where
// signatures overlap (RIFF and ftyp carry a sub-type further in).
#include "media/content_sniffer.hpp"

#include <array>
#include <cstdint>

#include "common/utf8.hpp"

namespace parley::media {
namespace {

bool starts_with(std::string_view head, std::string_view prefix) { return head.substr(0, prefix.size()) == prefix; }

bool at(std::string_view head, std::size_t offset, std::string_view bytes) {
  return head.size() >= offset + bytes.size() && head.substr(offset, bytes.size()) == bytes;
}

std::uint8_t byte(std::string_view head, std::size_t i) { return static_cast<std::uint8_t>(head[i]); }

std::uint32_t le32(std::string_view head, std::size_t i) {
  return static_cast<std::uint32_t>(byte(head, i)) | static_cast<std::uint32_t>(byte(head, i + 1)) << 8 |
         static_cast<std::uint32_t>(byte(head, i + 2)) << 16 | static_cast<std::uint32_t>(byte(head, i + 3)) << 24;
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool starts_with_nocase(std::string_view text, std::string_view lower_prefix) {
  if (text.size() < lower_prefix.size()) return false;
  for (std::size_t i = 0; i < lower_prefix.size(); ++i)
    if (lower(text[i]) != lower_prefix[i]) return false;
  return true;
}

// BMP's 2-byte "BM" alone would match text; the DIB header size pins it down.
bool is_bmp(std::string_view head) {
  if (!starts_with(head, "BM") || head.size() < 18) return false;
  const auto dib = le32(head, 14);
  return dib == 12 || dib == 40 || dib == 52 || dib == 56 || dib == 64 || dib == 108 || dib == 124;
}

// ISO base media files (MP4, MOV, HEIF, AVIF): a `ftyp` box first, whose major
// and compatible brands say which.
std::string sniff_ftyp(std::string_view head) {
  const std::size_t box = head.size() >= 4 ? (static_cast<std::size_t>(byte(head, 0)) << 24 |
                                              static_cast<std::size_t>(byte(head, 1)) << 16 |
                                              static_cast<std::size_t>(byte(head, 2)) << 8 | byte(head, 3))
                                           : 0;
  const auto brands = head.substr(8, std::min(box, head.size()) > 8 ? std::min(box, head.size()) - 8 : 4);
  auto has_brand = [&](std::string_view brand) {
    if (brands.substr(0, 4) == brand) return true;
    for (std::size_t i = 8; i + 4 <= brands.size(); i += 4)  // after major brand + minor version
      if (brands.substr(i, 4) == brand) return true;
    return false;
  };
  if (has_brand("avif") || has_brand("avis")) return "image/avif";
  for (auto brand : {"heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1"})
    if (brands.substr(0, 4) == brand) return "image/heic";
  if (has_brand("M4A ") || has_brand("M4B ")) return "audio/mp4";
  if (brands.substr(0, 4) == "qt  ") return "video/quicktime";
  if (brands.substr(0, 3) == "3gp") return "video/3gpp";
  return "video/mp4";
}

// Office Open XML and OpenDocument files are ZIP archives; the first entries
// say which (the OOXML part folders, or ODF's stored `mimetype` entry).
std::string sniff_zip(std::string_view head) {
  constexpr std::string_view kOdf = "mimetypeapplication/vnd.oasis.opendocument.";
  if (at(head, 30, kOdf)) {
    std::size_t end = 30 + kOdf.size();
    while (end < head.size() && ((head[end] >= 'a' && head[end] <= 'z') || head[end] == '-' || head[end] == '.')) ++end;
    if (end > 30 + kOdf.size()) return std::string(head.substr(30 + 8, end - 38));
  }
  if (at(head, 30, "mimetypeapplication/epub+zip")) return "application/epub+zip";
  if (head.find("word/") != std::string_view::npos)
    return "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
  if (head.find("xl/") != std::string_view::npos)
    return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
  if (head.find("ppt/") != std::string_view::npos)
    return "application/vnd.openxmlformats-officedocument.presentationml.presentation";
  return "application/zip";
}

std::string sniff_ogg(std::string_view head) {
  if (head.find("\x80theora") != std::string_view::npos) return "video/ogg";
  if (head.find("\x01vorbis") != std::string_view::npos || head.find("OpusHead") != std::string_view::npos ||
      head.find("\x7f" "FLAC") != std::string_view::npos)
    return "audio/ogg";
  return "application/ogg";
}

// MPEG audio without an ID3 tag: an 11-bit frame sync, then a valid version,
// layer and bitrate (so that random bytes starting FF Ex rarely match).
bool is_mpeg_audio_frame(std::string_view head) {
  if (head.size() < 3 || byte(head, 0) != 0xFF || (byte(head, 1) & 0xE0) != 0xE0) return false;
  const int version = (byte(head, 1) >> 3) & 3, layer = (byte(head, 1) >> 1) & 3;
  const int bitrate = byte(head, 2) >> 4, rate = (byte(head, 2) >> 2) & 3;
  return version != 1 && layer != 0 && bitrate != 0 && bitrate != 15 && rate != 3;
}

// Markup a browser would render: HTML (WHATWG's patterns), SVG and XML.
std::string sniff_markup(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r' || text[i] == '\f'))
    ++i;
  const auto rest = text.substr(i);
  if (rest.empty() || rest[0] != '<') return {};
  static constexpr std::array<std::string_view, 18> kHtml = {
      "<!doctype html", "<html", "<head", "<script", "<iframe", "<h1", "<div", "<font", "<table",
      "<a", "<style", "<title", "<b", "<body", "<br", "<p", "<!--", "<meta"};
  if (starts_with_nocase(rest, "<svg")) return "image/svg+xml";
  for (auto tag : kHtml) {
    if (!starts_with_nocase(rest, tag)) continue;
    if (tag == "<!--" || tag == "<!doctype html") return "text/html";
    if (rest.size() > tag.size() && (rest[tag.size()] == ' ' || rest[tag.size()] == '>' ||
                                     rest[tag.size()] == '\t' || rest[tag.size()] == '\n' || rest[tag.size()] == '/'))
      return "text/html";
  }
  if (starts_with_nocase(rest, "<?xml") || starts_with_nocase(rest, "<!doctype")) {
    // An XML prolog or a doctype: SVG when an svg root follows in the sample.
    for (std::size_t p = rest.find('<', 1); p != std::string_view::npos; p = rest.find('<', p + 1))
      if (starts_with_nocase(rest.substr(p), "<svg")) return "image/svg+xml";
    for (std::size_t p = rest.find('<', 1); p != std::string_view::npos; p = rest.find('<', p + 1))
      if (starts_with_nocase(rest.substr(p), "<html")) return "text/html";
    return "application/xml";
  }
  return {};
}

// Text: valid UTF-8 (the sample may end inside a character: that last partial
// character is not held against it) and no control bytes but whitespace and ESC.
bool is_text(std::string_view text, bool may_be_cut) {
  if (may_be_cut) {
    // Drop a trailing incomplete sequence: at most 3 bytes after its lead byte.
    for (std::size_t back = 1; back <= 3 && back <= text.size(); ++back) {
      const auto b = byte(text, text.size() - back);
      if ((b & 0xC0) == 0x80) continue;  // continuation: keep looking for the lead
      const std::size_t need = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
      if (need > back) text.remove_suffix(back);
      break;
    }
  }
  for (char c : text) {
    const auto b = static_cast<unsigned char>(c);
    if (b < 0x20 && b != '\t' && b != '\n' && b != '\r' && b != '\f' && b != '\v' && b != 0x1B) return false;
    if (b == 0x7F) return false;
  }
  return is_valid_utf8(text);
}

}  // namespace

std::string sniff_content_type(std::string_view head) {
  const bool may_be_cut = head.size() >= kSniffBytes;
  head = head.substr(0, kSniffBytes);
  if (starts_with(head, "\xFF\xD8\xFF")) return "image/jpeg";
  if (starts_with(head, "\x89PNG\r\n\x1A\n")) return "image/png";
  if (starts_with(head, "GIF87a") || starts_with(head, "GIF89a")) return "image/gif";
  if (starts_with(head, "RIFF") && at(head, 8, "WEBP")) return "image/webp";
  if (starts_with(head, "RIFF") && at(head, 8, "WAVE")) return "audio/wav";
  if (starts_with(head, "RIFF") && at(head, 8, "AVI ")) return "video/x-msvideo";
  if (is_bmp(head)) return "image/bmp";
  if (starts_with(head, std::string_view("II*\0", 4)) || starts_with(head, std::string_view("MM\0*", 4)))
    return "image/tiff";
  if (at(head, 4, "ftyp") && head.size() >= 12) return sniff_ftyp(head);
  if (starts_with(head, "%PDF-")) return "application/pdf";
  if (starts_with(head, "%!PS")) return "application/postscript";
  if (starts_with(head, "PK\x03\x04")) return sniff_zip(head);
  if (starts_with(head, "PK\x05\x06") || starts_with(head, "PK\x07\x08")) return "application/zip";
  if (starts_with(head, "\x1F\x8B\x08")) return "application/gzip";
  if (starts_with(head, "BZh")) return "application/x-bzip2";
  if (starts_with(head, std::string_view("\xFD" "7zXZ\0", 6))) return "application/x-xz";
  if (starts_with(head, "7z\xBC\xAF\x27\x1C")) return "application/x-7z-compressed";
  if (starts_with(head, "Rar!\x1A\x07")) return "application/vnd.rar";
  if (starts_with(head, "ID3") || is_mpeg_audio_frame(head)) return "audio/mpeg";
  if (starts_with(head, "fLaC")) return "audio/flac";
  if (starts_with(head, "OggS")) return sniff_ogg(head);
  if (starts_with(head, "\x1A\x45\xDF\xA3"))
    return head.find("webm") != std::string_view::npos ? "video/webm" : "video/x-matroska";
  if (starts_with(head, std::string_view("\0asm", 4))) return "application/wasm";

  auto text = head;
  if (starts_with(text, "\xEF\xBB\xBF")) text.remove_prefix(3);  // UTF-8 byte order mark
  if (!is_text(text, may_be_cut)) return "application/octet-stream";
  if (auto markup = sniff_markup(text); !markup.empty()) return markup;
  return "text/plain; charset=utf-8";
}

bool serve_inline(std::string_view content_type) {
  const auto semicolon = content_type.find(';');
  const auto type = content_type.substr(0, semicolon);
  static constexpr std::array<std::string_view, 24> kInline = {
      "image/jpeg", "image/png",  "image/gif",  "image/webp",      "image/bmp",  "image/avif",
      "image/heic", "image/tiff", "audio/mpeg", "audio/ogg",       "audio/wav",  "audio/flac",
      "audio/mp4",  "audio/aac",  "audio/webm", "video/mp4",       "video/webm", "video/ogg",
      "video/quicktime", "video/3gpp", "video/x-matroska", "application/pdf", "text/plain", "application/ogg"};
  for (auto allowed : kInline)
    if (type == allowed) return true;
  return false;
}

}  // namespace parley::media
