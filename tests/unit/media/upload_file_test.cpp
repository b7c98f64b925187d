// UploadFile: the hash and size of what was appended, the size cap, the head
// kept for sniffing, and removal of the temp file unless released.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "auth/temp_dir.hpp"
#include "media/upload_file.hpp"

namespace parley::media {
namespace {

std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(UploadFile, HashesSizesAndKeepsTheHead) {
  test::TempDir dir;
  auto file = UploadFile::create(dir.path() / "tmp", 1 << 20);
  ASSERT_TRUE(file);
  ASSERT_TRUE(file->append(std::string_view("abc")));
  std::string big(1000, 'x');
  ASSERT_TRUE(file->append(big));
  ASSERT_TRUE(file->finish());
  EXPECT_EQ(file->size(), 1003);
  EXPECT_EQ(file->head().size(), 512u);
  EXPECT_EQ(file->head().substr(0, 4), "abcx");
  EXPECT_EQ(slurp(file->path()), "abc" + big);
  // sha256("abc") is well known; check it on a file of exactly those bytes too.
  auto abc = UploadFile::create(dir.path(), 10);
  ASSERT_TRUE(abc);
  ASSERT_TRUE(abc->append(std::string_view("abc")));
  ASSERT_TRUE(abc->finish());
  EXPECT_EQ(abc->sha256_hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(abc->head(), "abc");
}

TEST(UploadFile, EmptyFileHashesToTheEmptyDigest) {
  test::TempDir dir;
  auto file = UploadFile::create(dir.path(), 10);
  ASSERT_TRUE(file);
  ASSERT_TRUE(file->finish());
  EXPECT_EQ(file->size(), 0);
  EXPECT_EQ(file->sha256_hex(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(UploadFile, RefusesBytesPastTheCapAndWritesNothingOfThem) {
  test::TempDir dir;
  auto file = UploadFile::create(dir.path(), 5);
  ASSERT_TRUE(file);
  ASSERT_TRUE(file->append(std::string_view("1234")));
  auto over = file->append(std::string_view("56"));
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().kind, ErrorKind::payload_too_large);
  EXPECT_EQ(file->size(), 4);
  ASSERT_TRUE(file->append(std::string_view("5")));
  EXPECT_EQ(file->size(), 5);
}

TEST(UploadFile, RemovedWhenDroppedUnlessReleased) {
  test::TempDir dir;
  std::filesystem::path dropped, kept;
  {
    auto file = UploadFile::create(dir.path(), 100);
    ASSERT_TRUE(file);
    ASSERT_TRUE(file->append(std::string_view("data")));
    dropped = file->path();
    EXPECT_TRUE(std::filesystem::exists(dropped));
    UploadFile moved = std::move(*file);  // a move keeps one owner of the file
    EXPECT_TRUE(std::filesystem::exists(dropped));
  }
  EXPECT_FALSE(std::filesystem::exists(dropped));
  {
    auto file = UploadFile::create(dir.path(), 100);
    ASSERT_TRUE(file);
    ASSERT_TRUE(file->finish());
    kept = file->path();
    file->release();
  }
  EXPECT_TRUE(std::filesystem::exists(kept));
}

TEST(UploadFile, UnwritableFolderIsUnavailable) {
  auto file = UploadFile::create("/proc/no-such-dir", 10);
  ASSERT_FALSE(file);
  EXPECT_EQ(file.error().kind, ErrorKind::unavailable);
}

}  // namespace
}  // namespace parley::media
