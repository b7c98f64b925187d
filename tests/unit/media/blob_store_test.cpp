// One conformance suite for every BlobStore (blob_store.hpp's contract): the
// local store in a temp folder and the S3 store on the test S3 server.

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

#include "blob_store_fixture.hpp"

namespace parley::media {
namespace {
namespace fs = std::filesystem;
using testing::byte_at;
using testing::test_bytes;

class BlobStoreConformance : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "local") {
      auto local = LocalBlobStore::create(fs::path(tmp_.file("media")));
      ASSERT_TRUE(local.ok()) << local.error().message;
      store_ = std::move(local.value());
    } else {
      auto config = testing::test_s3_config();
      if (!config) GTEST_SKIP() << testing::kNoS3;
      auto s3 = S3BlobStore::create(*config, fs::path(tmp_.file("media-tmp")));
      ASSERT_TRUE(s3.ok()) << s3.error().message;
      store_ = std::move(s3.value());
      ASSERT_TRUE(store_->ping().ok()) << store_->ping().error().message;
    }
  }
  void TearDown() override {
    for (const auto& key : written_) (void)store_->remove(key);
  }

  std::string key(const std::string& name) {
    written_.push_back(prefix_ + "/" + name);
    return written_.back();
  }
  fs::path temp_file(const std::string& name, const std::string& content) {
    fs::path path = store_->temp_dir() / name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }
  std::string read_all(const std::string& k) {
    auto reader = store_->open(k);
    EXPECT_TRUE(reader.ok()) << reader.error().message;
    if (!reader.ok()) return {};
    std::string out(static_cast<std::size_t>((*reader)->size()), '\0');
    auto n = (*reader)->read(0, std::span<char>(out));
    EXPECT_TRUE(n.ok()) << n.error().message;
    if (n.ok()) {
      EXPECT_EQ(*n, out.size());
    }
    return out;
  }

  store::testing::TempDir tmp_;
  std::unique_ptr<BlobStore> store_;
  const std::string prefix_ = testing::unique_prefix();
  std::vector<std::string> written_;
};

TEST_P(BlobStoreConformance, PutFileTakesTheFile) {
  fs::path file = temp_file("upload-1", "hello, media");
  auto k = key("0123abcd");
  ASSERT_TRUE(store_->put_file(k, file, "text/plain").ok());
  EXPECT_FALSE(fs::exists(file));
  EXPECT_EQ(read_all(k), "hello, media");
}

TEST_P(BlobStoreConformance, RefusedPutLeavesTheFileAndStoresNothing) {
  fs::path file = temp_file("upload-2", "kept");
  auto st = store_->put_file("../escape", file, "text/plain");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind, ErrorKind::bad_request);
  EXPECT_TRUE(fs::exists(file));
  EXPECT_EQ(store_->open("../escape").ok(), false);
}

TEST_P(BlobStoreConformance, PutBytesStoresAndReplaces) {
  auto k = key("thumb.webp");
  ASSERT_TRUE(store_->put_bytes(k, "first version", "image/webp").ok());
  EXPECT_EQ(read_all(k), "first version");
  ASSERT_TRUE(store_->put_bytes(k, "second", "image/webp").ok());
  EXPECT_EQ(read_all(k), "second");
}

TEST_P(BlobStoreConformance, EmptyBlob) {
  auto k = key("empty");
  ASSERT_TRUE(store_->put_bytes(k, "", "application/octet-stream").ok());
  auto reader = store_->open(k);
  ASSERT_TRUE(reader.ok()) << reader.error().message;
  EXPECT_EQ((*reader)->size(), 0);
  char buf[16];
  auto n = (*reader)->read(0, buf);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0u);
}

TEST_P(BlobStoreConformance, ReadsAtAnyOffset) {
  // Larger than the S3 reader's window, so reads cross and refill it.
  const std::int64_t size = 3 * (1 << 20) + 12345;
  auto k = key("ranges");
  ASSERT_TRUE(store_->put_bytes(k, test_bytes(0, static_cast<std::size_t>(size)), "application/octet-stream").ok());
  auto reader = store_->open(k);
  ASSERT_TRUE(reader.ok()) << reader.error().message;
  ASSERT_EQ((*reader)->size(), size);

  struct Case {
    std::int64_t offset;
    std::size_t len;
    std::size_t expect;
  };
  const std::vector<Case> cases = {
      {0, 100, 100},
      {(1 << 20) - 50, 100, 100},            // across the first window's end
      {size - 10, 100, 10},                  // short only at the end
      {5, 2 * (1 << 20), 2 * (1 << 20)},     // larger than the window
      {(1 << 20) + 7, 65536, 65536},         // back inside an earlier region
      {17, 1, 1},
      {size, 100, 0},                        // at the end
      {size + 1000, 100, 0},                 // past the end
  };
  for (const auto& c : cases) {
    std::string buf(c.len, '\0');
    auto n = (*reader)->read(c.offset, std::span<char>(buf));
    ASSERT_TRUE(n.ok()) << "offset " << c.offset << ": " << n.error().message;
    ASSERT_EQ(*n, c.expect) << "offset " << c.offset;
    buf.resize(*n);
    EXPECT_TRUE(buf == test_bytes(c.offset, *n)) << "wrong bytes at offset " << c.offset;
  }
  char one;
  auto bad = (*reader)->read(-1, std::span<char>(&one, 1));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, ErrorKind::bad_request);
}

TEST_P(BlobStoreConformance, RemoveAndNotFound) {
  EXPECT_EQ(store_->open(key("never-written")).error().kind, ErrorKind::not_found);
  EXPECT_TRUE(store_->remove(key("never-written")).ok()) << "removing an absent key is success";
  auto k = key("gone");
  ASSERT_TRUE(store_->put_bytes(k, "bytes", "text/plain").ok());
  ASSERT_TRUE(store_->remove(k).ok());
  auto reader = store_->open(k);
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.error().kind, ErrorKind::not_found);
  EXPECT_TRUE(store_->remove(k).ok());
}

TEST_P(BlobStoreConformance, InvalidKeysAreRefusedOnEveryCall) {
  const std::vector<std::string> bad = {"",          "/abs",       "a/../b",   "..",       "a/./b",  "a//b",
                                        "a/",        "A/upper",    "a b",      "a\nb",     "a%2e",   ".hidden",
                                        "a\\b",      "a?x=1",      "a#b",      std::string("a\0b", 3),
                                        std::string(1025, 'a')};
  fs::path file = temp_file("upload-3", "x");
  for (const auto& k : bad) {
    SCOPED_TRACE("key '" + k + "'");
    EXPECT_EQ(store_->put_bytes(k, "x", "text/plain").error().kind, ErrorKind::bad_request);
    EXPECT_EQ(store_->put_file(k, file, "text/plain").error().kind, ErrorKind::bad_request);
    EXPECT_EQ(store_->open(k).error().kind, ErrorKind::bad_request);
    EXPECT_EQ(store_->remove(k).error().kind, ErrorKind::bad_request);
  }
  EXPECT_TRUE(fs::exists(file));
}

// 30 MB through put_file and back in 64 KiB reads, in a bounded amount of
// memory: neither the upload nor the reader holds the file.
TEST_P(BlobStoreConformance, LargeFileRoundTripInBoundedMemory) {
  constexpr std::int64_t kSize = 30'000'000;
  constexpr std::size_t kChunk = 64 * 1024;
  // Two buffers, allocated once: nothing below allocates per chunk, so that
  // the peak RSS measures the stores (a sanitizer's quarantine would keep
  // every freed chunk).
  std::string buf(kChunk, '\0');
  std::string expected(kChunk, '\0');
  const std::int64_t rss_before = testing::peak_rss();
  fs::path file = store_->temp_dir() / "upload-large";
  {
    std::ofstream out(file, std::ios::binary);
    for (std::int64_t at = 0; at < kSize; at += kChunk) {
      const auto n = static_cast<std::size_t>(std::min<std::int64_t>(kChunk, kSize - at));
      testing::fill_test_bytes(at, std::span<char>(buf.data(), n));
      out.write(buf.data(), static_cast<std::streamsize>(n));
    }
  }
  auto k = key("large");
  ASSERT_TRUE(store_->put_file(k, file, "application/octet-stream").ok());
  EXPECT_FALSE(fs::exists(file));

  auto* s3 = dynamic_cast<S3BlobStore*>(store_.get());
  const std::uint64_t requests_before = s3 != nullptr ? s3->requests() : 0;
  auto reader = store_->open(k);
  ASSERT_TRUE(reader.ok()) << reader.error().message;
  ASSERT_EQ((*reader)->size(), kSize);
  std::int64_t at = 0;
  while (true) {
    auto n = (*reader)->read(at, std::span<char>(buf));
    ASSERT_TRUE(n.ok()) << n.error().message;
    if (*n == 0) break;
    testing::fill_test_bytes(at, std::span<char>(expected.data(), *n));
    ASSERT_TRUE(std::memcmp(buf.data(), expected.data(), *n) == 0) << "wrong bytes at offset " << at;
    at += static_cast<std::int64_t>(*n);
  }
  EXPECT_EQ(at, kSize);
  if (s3 != nullptr) {
    // One ranged GET per read-ahead window, not one per 64 KiB read.
    const std::uint64_t windows = (kSize + S3BlobStore::kReadAhead - 1) / S3BlobStore::kReadAhead;
    EXPECT_LE(s3->requests() - requests_before, windows);
  }
  EXPECT_LT(testing::peak_rss() - rss_before, 12 << 20) << "the 30 MB file was held in memory";
}

// The contract: every method from any thread, concurrently.
TEST_P(BlobStoreConformance, ConcurrentCallsFromManyThreads) {
  std::mutex mutex;
  std::vector<std::string> failures;
  auto fail = [&](const std::string& what) {
    std::lock_guard lock(mutex);
    failures.push_back(what);
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        const std::string k = prefix_ + "/c" + std::to_string(t) + "-" + std::to_string(i);
        const std::string bytes = test_bytes(t * 1000 + i, 1000 + static_cast<std::size_t>(i));
        if (auto st = store_->put_bytes(k, bytes, "application/octet-stream"); !st) fail("put " + st.error().message);
        auto reader = store_->open(k);
        std::string got(bytes.size(), '\0');
        if (!reader.ok()) {
          fail("open " + reader.error().message);
        } else if (auto n = (*reader)->read(0, std::span<char>(got)); !n.ok() || got != bytes) {
          fail("read " + k + (n.ok() ? ": wrong bytes" : ": " + n.error().message));
        }
        if (auto st = store_->remove(k); !st) fail("remove " + st.error().message);
        if (auto st = store_->ping(); !st) fail("ping " + st.error().message);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_TRUE(failures.empty()) << failures.size() << " failures, the first: " << failures.front();
}

INSTANTIATE_TEST_SUITE_P(Local, BlobStoreConformance, ::testing::Values("local"));
INSTANTIATE_TEST_SUITE_P(S3, BlobStoreConformance, ::testing::Values("s3"));

}  // namespace
}  // namespace parley::media
