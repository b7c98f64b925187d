// open_blob_store: the `--media-store` value → a store, or a clear error.

#include <gtest/gtest.h>

#include <cstdlib>

#include "blob_store_fixture.hpp"

namespace parley::media {
namespace {
namespace fs = std::filesystem;

// Sets the AWS credential variables for one test, restores them after.
class OpenBlobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    save("AWS_ACCESS_KEY_ID", 0);
    save("AWS_SECRET_ACCESS_KEY", 1);
    ::setenv("AWS_ACCESS_KEY_ID", "S3RVER", 1);
    ::setenv("AWS_SECRET_ACCESS_KEY", "S3RVER", 1);
  }
  void TearDown() override {
    restore("AWS_ACCESS_KEY_ID", 0);
    restore("AWS_SECRET_ACCESS_KEY", 1);
  }
  void save(const char* name, int i) {
    const char* v = std::getenv(name);
    saved_[i] = v != nullptr ? std::optional<std::string>(v) : std::nullopt;
  }
  void restore(const char* name, int i) {
    if (saved_[i]) {
      ::setenv(name, saved_[i]->c_str(), 1);
    } else {
      ::unsetenv(name);
    }
  }
  std::optional<std::string> saved_[2];
  store::testing::TempDir tmp_;
  fs::path data_dir_ = tmp_.file("data");
};

TEST_F(OpenBlobStoreTest, EmptyIsTheLocalDisk) {
  auto store = open_blob_store("", data_dir_);
  ASSERT_TRUE(store.ok()) << store.error().message;
  EXPECT_EQ((*store)->describe(), "local:" + (data_dir_ / "media").string());
  EXPECT_EQ((*store)->temp_dir(), data_dir_ / "media" / "tmp");
  EXPECT_TRUE(fs::is_directory(data_dir_ / "media" / "tmp"));
}

TEST_F(OpenBlobStoreTest, MalformedSpecsAreBadRequests) {
  const char* bad[] = {
      "/var/lib/media",                                   // not a scheme we know
      "file:///x",
      "s3://",                                            // no bucket
      "s3://Bad_Bucket?endpoint=http://127.0.0.1:1",
      "s3://ab?endpoint=http://127.0.0.1:1",              // too short
      "s3://-bucket?endpoint=http://127.0.0.1:1",
      "s3://bucket?endpoint=ftp://127.0.0.1:1",
      "s3://bucket?endpoint=http://",
      "s3://bucket?endpoint=http://user@host",
      "s3://bucket?endpoint=http://h%0d%0ax",             // CR LF smuggled in
      "s3://bucket?endpoint=http://127.0.0.1:1&region=US_EAST",
      "s3://bucket?endpoint=http://127.0.0.1:1&colour=red",
      "s3://bucket?endpoint",
      "s3://bucket?endpoint=%zz",
  };
  for (const char* spec : bad) {
    auto store = open_blob_store(spec, data_dir_);
    ASSERT_FALSE(store.ok()) << spec;
    EXPECT_EQ(store.error().kind, ErrorKind::bad_request) << spec;
    EXPECT_EQ(store.error().code, "invalid_media_store") << spec;
  }
}

TEST_F(OpenBlobStoreTest, S3NeedsCredentials) {
  ::unsetenv("AWS_SECRET_ACCESS_KEY");
  auto store = open_blob_store("s3://bucket?endpoint=http://127.0.0.1:1", data_dir_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().kind, ErrorKind::bad_request);
  EXPECT_NE(store.error().message.find("AWS_SECRET_ACCESS_KEY"), std::string::npos);
}

TEST_F(OpenBlobStoreTest, UnreachableS3IsUnavailable) {
  // Port 1 on loopback: nothing listens there.
  auto store = open_blob_store("s3://bucket?endpoint=http://127.0.0.1:1", data_dir_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().kind, ErrorKind::unavailable) << store.error().message;
}

TEST_F(OpenBlobStoreTest, S3SpecOpensTheTestServer) {
  auto config = testing::test_s3_config();
  if (!config) GTEST_SKIP() << testing::kNoS3;
  // The endpoint percent-encoded, as a shell-safe --media-store value might be.
  std::string endpoint;
  for (char c : config->endpoint) endpoint += c == ':' ? std::string("%3A") : std::string(1, c);
  auto store = open_blob_store("s3://" + config->bucket + "?endpoint=" + endpoint + "/&region=us-east-1", data_dir_);
  ASSERT_TRUE(store.ok()) << store.error().message;
  EXPECT_EQ((*store)->describe(), "s3://" + config->bucket + " (endpoint " + config->endpoint + ", region us-east-1)");
  EXPECT_EQ((*store)->temp_dir(), data_dir_ / "media" / "tmp");
  const std::string k = testing::unique_prefix() + "/spec";
  ASSERT_TRUE((*store)->put_bytes(k, "via spec", "text/plain").ok());
  auto reader = (*store)->open(k);
  ASSERT_TRUE(reader.ok()) << reader.error().message;
  EXPECT_EQ((*reader)->size(), 8);
  EXPECT_TRUE((*store)->remove(k).ok());
}

TEST(ValidBlobKey, AcceptsTheChatLayersKeys) {
  EXPECT_TRUE(valid_blob_key("01hx2k3m4n5p6q7r8s9t0v1w2x/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"));
  EXPECT_TRUE(valid_blob_key("01hx2k3m4n5p6q7r8s9t0v1w2x/9f86d081.webp"));
  EXPECT_TRUE(valid_blob_key("a"));
  EXPECT_TRUE(valid_blob_key("a_b-c.d/e"));
  EXPECT_FALSE(valid_blob_key("a/.."));
  EXPECT_FALSE(valid_blob_key("a/..b"));
  EXPECT_FALSE(valid_blob_key("a/b/"));
  EXPECT_FALSE(valid_blob_key("a/B"));
}

}  // namespace
}  // namespace parley::media
