#include "media/content_sniffer.hpp"

#include <gtest/gtest.h>

#include "media/test_images.hpp"

namespace parley::media {
namespace {

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out += static_cast<char>(v);
  return out;
}

struct Case {
  const char* name;
  std::string head;
  const char* type;
};

TEST(ContentSniffer, KnowsTheCommonFormatsByTheirSignatures) {
  const std::string riff_size("\x24\0\0\0", 4);
  const std::string zip_header = std::string("PK\x03\x04\x14\0\0\0\x08\0", 10) + std::string(16, '\0');
  const Case cases[] = {
      {"jpeg", bytes({0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10}) + "JFIF", "image/jpeg"},
      {"png", std::string("\x89PNG\r\n\x1A\n\0\0\0\x0DIHDR", 16), "image/png"},
      {"gif87", "GIF87a\x01\x00", "image/gif"},
      {"gif89", "GIF89a\x01\x00", "image/gif"},
      {"webp", "RIFF" + riff_size + "WEBPVP8 ", "image/webp"},
      {"wav", "RIFF" + riff_size + "WAVEfmt ", "audio/wav"},
      {"avi", "RIFF" + riff_size + "AVI LIST", "video/x-msvideo"},
      {"bmp", std::string("BM\x36\0\0\0\0\0\0\0\x36\0\0\0\x28\0\0\0", 18), "image/bmp"},
      {"tiff le", std::string("II*\0\x08\0\0\0", 8), "image/tiff"},
      {"tiff be", std::string("MM\0*\0\0\0\x08", 8), "image/tiff"},
      {"heic", std::string("\0\0\0\x18" "ftypheic\0\0\0\0mif1heic", 24), "image/heic"},
      {"avif", std::string("\0\0\0\x1C" "ftypavif\0\0\0\0avifmif1miaf", 28), "image/avif"},
      {"avif compatible", std::string("\0\0\0\x1C" "ftypmif1\0\0\0\0avifmif1miaf", 28), "image/avif"},
      {"mp4", std::string("\0\0\0\x20" "ftypisom\0\0\x02\0isomiso2avc1mp41", 32), "video/mp4"},
      {"m4a", std::string("\0\0\0\x1C" "ftypM4A \0\0\0\0M4A mp42isom", 28), "audio/mp4"},
      {"mov", std::string("\0\0\0\x14" "ftypqt  \0\0\0\0qt  ", 20), "video/quicktime"},
      {"pdf", "%PDF-1.7\n", "application/pdf"},
      {"zip", zip_header + "readme.txt", "application/zip"},
      {"docx", zip_header + "word/document.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
      {"xlsx", zip_header + "xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
      {"odt", std::string("PK\x03\x04\x0A\0\0\0\0\0", 10) + std::string(16, '\0') + std::string("\x08\0\0\0", 4) +
                  "mimetypeapplication/vnd.oasis.opendocument.textPK\x03\x04",
       "application/vnd.oasis.opendocument.text"},
      {"empty zip", std::string("PK\x05\x06", 4) + std::string(18, '\0'), "application/zip"},
      {"gzip", bytes({0x1F, 0x8B, 0x08, 0x00}), "application/gzip"},
      {"7z", bytes({'7', 'z', 0xBC, 0xAF, 0x27, 0x1C}), "application/x-7z-compressed"},
      {"mp3 id3", "ID3\x04\0\0\0\0\0\0", "audio/mpeg"},
      {"mp3 frame", bytes({0xFF, 0xFB, 0x90, 0x64}), "audio/mpeg"},
      {"ogg vorbis", std::string("OggS\0\x02", 6) + std::string(22, '\0') + "\x01vorbis", "audio/ogg"},
      {"ogg opus", std::string("OggS\0\x02", 6) + std::string(22, '\0') + "OpusHead", "audio/ogg"},
      {"ogg theora", std::string("OggS\0\x02", 6) + std::string(22, '\0') + "\x80theora", "video/ogg"},
      {"flac", "fLaC\0\0\0\x22", "audio/flac"},
      {"webm", bytes({0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42, 0x86, 0x81, 0x01, 0x42, 0x82, 0x84}) + "webm", "video/webm"},
      {"mkv", bytes({0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42, 0x86, 0x81, 0x01, 0x42, 0x82, 0x88}) + "matroska", "video/x-matroska"},
      {"html doctype", "<!DOCTYPE html><html><body>hi", "text/html"},
      {"html spaces and case", "\n  <HtMl lang=en>", "text/html"},
      {"html script", "<script>alert(1)</script>", "text/html"},
      {"html comment", "<!-- hi -->", "text/html"},
      {"svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"><script/></svg>", "image/svg+xml"},
      {"svg with prolog", "<?xml version=\"1.0\"?>\n<!DOCTYPE svg>\n<svg onload=\"x()\">", "image/svg+xml"},
      {"xml", "<?xml version=\"1.0\"?><feed/>", "application/xml"},
      {"xhtml", "<?xml version=\"1.0\"?><html xmlns=\"http://www.w3.org/1999/xhtml\">", "text/html"},
      {"html after bom", "\xEF\xBB\xBF<html>", "text/html"},
      {"text", "hello, world\nsecond line\t tab\n", "text/plain; charset=utf-8"},
      {"utf-8 text", "caf\xC3\xA9 \xF0\x9F\x98\x80 \xE2\x82\xAC", "text/plain; charset=utf-8"},
      {"a tag that is not html", "<notes>mine</notes>", "text/plain; charset=utf-8"},
      {"BM text is not bmp", "BMW and Audi, a list of cars", "text/plain; charset=utf-8"},
      {"latin-1 text", "caf\xE9", "application/octet-stream"},
      {"nul", std::string("abc\0def", 7), "application/octet-stream"},
      {"elf", "\x7F" "ELF\x02\x01\x01", "application/octet-stream"},
      {"empty", "", "text/plain; charset=utf-8"},
  };
  for (const auto& c : cases) EXPECT_EQ(sniff_content_type(c.head), c.type) << c.name;
}

TEST(ContentSniffer, RealImagesMadeByLibvips) {
  EXPECT_EQ(sniff_content_type(test::make_image({}, ".jpg").substr(0, kSniffBytes)), "image/jpeg");
  EXPECT_EQ(sniff_content_type(test::make_image({}, ".png").substr(0, kSniffBytes)), "image/png");
  EXPECT_EQ(sniff_content_type(test::make_image({}, ".gif").substr(0, kSniffBytes)), "image/gif");
  EXPECT_EQ(sniff_content_type(test::make_image({}, ".webp").substr(0, kSniffBytes)), "image/webp");
  EXPECT_EQ(sniff_content_type(test::make_image({}, ".heic").substr(0, kSniffBytes)), "image/heic");
  EXPECT_EQ(sniff_content_type(test::make_image({}, ".avif").substr(0, kSniffBytes)), "image/avif");
}

TEST(ContentSniffer, TextCutInsideACharacterAtTheSampleEndIsStillText) {
  std::string text(kSniffBytes - 1, 'a');
  text += "\xE2\x82\xAC";  // € straddles the end of the sample
  EXPECT_EQ(sniff_content_type(text.substr(0, kSniffBytes)), "text/plain; charset=utf-8");
  // A short file is whole: the same partial character there is not text.
  EXPECT_EQ(sniff_content_type("abc\xE2\x82"), "application/octet-stream");
  // Only the sample is looked at.
  EXPECT_EQ(sniff_content_type(std::string(kSniffBytes, 'a') + std::string("\0", 1)), "text/plain; charset=utf-8");
}

TEST(ContentSniffer, InlineOnlyForTypesThatRunNothing) {
  for (const char* type : {"image/jpeg", "image/png", "image/gif", "image/webp", "audio/mpeg", "video/mp4",
                           "video/webm", "application/pdf", "text/plain", "text/plain; charset=utf-8"})
    EXPECT_TRUE(serve_inline(type)) << type;
  for (const char* type : {"text/html", "image/svg+xml", "application/xml", "application/octet-stream",
                           "application/zip", "application/javascript", "text/javascript", "text/html; charset=utf-8",
                           "image/svg+xml; charset=utf-8", "", "text/plainx"})
    EXPECT_FALSE(serve_inline(type)) << type;
}

}  // namespace
}  // namespace parley::media
