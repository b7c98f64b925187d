#include "media/file_names.hpp"

#include <gtest/gtest.h>

#include "common/utf8.hpp"

namespace parley::media {
namespace {

TEST(SanitizeFileName, KeepsOrdinaryNames) {
  EXPECT_EQ(sanitize_file_name("beach.jpg"), "beach.jpg");
  EXPECT_EQ(sanitize_file_name("Rapport final (v2).pdf"), "Rapport final (v2).pdf");
  EXPECT_EQ(sanitize_file_name("日本語のファイル.txt"), "日本語のファイル.txt");
  EXPECT_EQ(sanitize_file_name("archive.tar.gz"), "archive.tar.gz");
}

TEST(SanitizeFileName, DropsEveryPath) {
  EXPECT_EQ(sanitize_file_name("../../etc/passwd"), "passwd");
  EXPECT_EQ(sanitize_file_name("/etc/passwd"), "passwd");
  EXPECT_EQ(sanitize_file_name("C:\\fakepath\\photo.png"), "photo.png");
  EXPECT_EQ(sanitize_file_name("..\\..\\boot.ini"), "boot.ini");
  EXPECT_EQ(sanitize_file_name("a/b/"), "file");
  EXPECT_EQ(sanitize_file_name(".."), "file");
  EXPECT_EQ(sanitize_file_name("."), "file");
}

TEST(SanitizeFileName, NoHiddenFilesNoEdgeSpaces) {
  EXPECT_EQ(sanitize_file_name(".bashrc"), "bashrc");
  EXPECT_EQ(sanitize_file_name("  ...  name.txt  "), "name.txt");
}

TEST(SanitizeFileName, ControlAndInvisibleCharacters) {
  EXPECT_EQ(sanitize_file_name("a\nb\rc\td\x7F" "e.txt"), "a_b_c_d_e.txt");
  EXPECT_EQ(sanitize_file_name(std::string("nul\0byte.txt", 12)), "nul_byte.txt");
  EXPECT_EQ(sanitize_file_name("c1\xC2\x85.txt"), "c1_.txt");  // U+0085, a C1 control
  // U+202E RIGHT-TO-LEFT OVERRIDE would show "invoice\u202Efdp.exe" as "invoiceexe.pdf".
  EXPECT_EQ(sanitize_file_name("invoice\xE2\x80\xAE" "fdp.exe"), "invoicefdp.exe");
  EXPECT_EQ(sanitize_file_name("zero\xE2\x80\x8Bwidth\xEF\xBB\xBF.txt"), "zerowidth.txt");
}

TEST(SanitizeFileName, InvalidUtf8IsReplaced) {
  EXPECT_EQ(sanitize_file_name("caf\xE9.txt"), "caf\xEF\xBF\xBD.txt");
  EXPECT_EQ(sanitize_file_name("\xC0\xAF" "x"), "\xEF\xBF\xBD\xEF\xBF\xBDx");     // overlong '/' is no slash
  EXPECT_EQ(sanitize_file_name("\xED\xA0\x80.txt"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD.txt");  // surrogate
  EXPECT_EQ(sanitize_file_name("end\xE2\x82"), "end\xEF\xBF\xBD");                // truncated at the end
  for (const char* raw : {"\xff\xfe", "\xF4\x90\x80\x80", "a\x80", "\xE0\x80\x80"})
    EXPECT_TRUE(is_valid_utf8(sanitize_file_name(raw))) << raw;
}

TEST(SanitizeFileName, LongNamesAreCutKeepingTheExtension) {
  const auto name = sanitize_file_name(std::string(1000, 'a') + ".jpeg");
  EXPECT_EQ(name.size(), 255u);
  EXPECT_EQ(name.substr(name.size() - 5), ".jpeg");
  // Cut on a character boundary: 3-byte characters never split.
  std::string wide;
  for (int i = 0; i < 200; ++i) wide += "\xE2\x82\xAC";
  const auto cut = sanitize_file_name(wide + ".txt");
  EXPECT_LE(cut.size(), 255u);
  EXPECT_TRUE(is_valid_utf8(cut));
  EXPECT_EQ(cut.substr(cut.size() - 4), ".txt");
  // An "extension" too long to be one is cut like the rest.
  const auto no_ext = sanitize_file_name("x." + std::string(400, 'b'));
  EXPECT_EQ(no_ext.size(), 255u);
}

TEST(SanitizeFileName, NeverEmpty) {
  EXPECT_EQ(sanitize_file_name(""), "file");
  EXPECT_EQ(sanitize_file_name("   "), "file");
  EXPECT_EQ(sanitize_file_name("\xE2\x80\xAE"), "file");
}

TEST(ContentDisposition, AsciiFallbackAndRfc5987) {
  EXPECT_EQ(content_disposition("beach.jpg", true), "inline; filename=\"beach.jpg\"; filename*=UTF-8''beach.jpg");
  EXPECT_EQ(content_disposition("my file.pdf", false),
            "attachment; filename=\"my file.pdf\"; filename*=UTF-8''my%20file.pdf");
  EXPECT_EQ(content_disposition("café €.txt", false),
            "attachment; filename=\"caf_ _.txt\"; filename*=UTF-8''caf%C3%A9%20%E2%82%AC.txt");
  EXPECT_EQ(content_disposition("say \"hi\"\\%.txt", false),
            "attachment; filename=\"say _hi___.txt\"; filename*=UTF-8''say%20%22hi%22%5C%25.txt");
}

TEST(ContentDisposition, NothingBreaksOutOfTheHeaderEvenUnsanitized) {
  const auto value = content_disposition("a\r\nSet-Cookie: x=1;\xff", false);
  EXPECT_EQ(value.find('\r'), std::string::npos);
  EXPECT_EQ(value.find('\n'), std::string::npos);
  for (char c : value) EXPECT_TRUE(c >= 0x20 && c < 0x7F) << static_cast<int>(c);
}

}  // namespace
}  // namespace parley::media
