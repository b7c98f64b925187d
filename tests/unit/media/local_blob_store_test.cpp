// What only the local store promises: its layout on disk, the reserved tmp/
// folder, tidy folders after remove, and disk failures as unavailable.

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <thread>
#include <vector>

#include "blob_store_fixture.hpp"

namespace parley::media {
namespace {
namespace fs = std::filesystem;

class LocalBlobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = LocalBlobStore::create(root_);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(opened.value());
  }
  store::testing::TempDir tmp_;
  fs::path root_ = tmp_.file("data") + "/media";
  std::unique_ptr<LocalBlobStore> store_;
};

TEST_F(LocalBlobStoreTest, LayoutIsRootSlashKey) {
  EXPECT_TRUE(fs::is_directory(root_ / "tmp"));
  EXPECT_EQ(store_->temp_dir(), root_ / "tmp");
  EXPECT_EQ(store_->describe(), "local:" + root_.string());
  ASSERT_TRUE(store_->put_bytes("att1/0abc", "content", "text/plain").ok());
  std::ifstream in(root_ / "att1" / "0abc");
  std::string got((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(got, "content");
  // put_bytes' temp file is gone.
  EXPECT_TRUE(fs::is_empty(root_ / "tmp"));
}

TEST_F(LocalBlobStoreTest, TmpIsReserved) {
  auto st = store_->put_bytes("tmp/x", "x", "text/plain");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind, ErrorKind::bad_request);
  EXPECT_EQ(store_->open("tmp/x").error().kind, ErrorKind::bad_request);
  EXPECT_EQ(store_->remove("tmp/x").error().kind, ErrorKind::bad_request);
}

TEST_F(LocalBlobStoreTest, RemoveDropsEmptyFoldersOnly) {
  ASSERT_TRUE(store_->put_bytes("att2/a", "1", "text/plain").ok());
  ASSERT_TRUE(store_->put_bytes("att2/b.webp", "2", "image/webp").ok());
  ASSERT_TRUE(store_->remove("att2/a").ok());
  EXPECT_TRUE(fs::exists(root_ / "att2" / "b.webp"));
  ASSERT_TRUE(store_->remove("att2/b.webp").ok());
  EXPECT_FALSE(fs::exists(root_ / "att2"));
  EXPECT_TRUE(fs::is_directory(root_)) << "the root itself stays";
  EXPECT_TRUE(fs::is_directory(root_ / "tmp"));
}

// Puts and removes racing in one attachment's folder: a remove may rmdir the
// folder between a put's mkdir and its rename; the put still lands.
TEST_F(LocalBlobStoreTest, ConcurrentPutsAndRemovesInOneFolder) {
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        const std::string k = "shared/k" + std::to_string(t) + "-" + std::to_string(i);
        if (!store_->put_bytes(k, "x", "text/plain").ok()) ++failures;
        auto reader = store_->open(k);
        if (!reader.ok()) ++failures;
        if (!store_->remove(k).ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST_F(LocalBlobStoreTest, DiskFailuresAreUnavailable) {
  // put_file of a file that is not there: the disk said no, not the caller.
  auto missing = store_->put_file("att3/x", store_->temp_dir() / "missing", "text/plain");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::unavailable);
  EXPECT_NE(missing.error().message.find("No such file"), std::string::npos) << missing.error().message;

  // A key whose folder is taken by a file: mkdir fails (ENOTDIR/EEXIST).
  ASSERT_TRUE(store_->put_bytes("att4", "a file where a folder would go", "text/plain").ok());
  auto blocked = store_->put_bytes("att4/x", "x", "text/plain");
  ASSERT_FALSE(blocked.ok());
  EXPECT_EQ(blocked.error().kind, ErrorKind::unavailable);
  EXPECT_TRUE(fs::is_empty(root_ / "tmp")) << "the failed put_bytes removed its temp file";

  // ping fails, clearly, when the temp folder is gone (as root, permissions
  // would not stop a write, so take the folder away instead).
  ASSERT_TRUE(store_->ping().ok());
  fs::remove_all(root_ / "tmp");
  auto ping = store_->ping();
  ASSERT_FALSE(ping.ok());
  EXPECT_EQ(ping.error().kind, ErrorKind::unavailable);
  EXPECT_NE(ping.error().message.find((root_ / "tmp").string()), std::string::npos) << ping.error().message;
}

}  // namespace
}  // namespace parley::media
