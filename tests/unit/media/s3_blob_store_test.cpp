// The S3 store's failures, against the test S3 server (PARLEY_TEST_S3_ENDPOINT)
// or a port where nothing listens.

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>

#include "blob_store_fixture.hpp"

namespace parley::media {
namespace {
namespace fs = std::filesystem;

// A loopback endpoint where nothing listens: bound, then closed.
std::string dead_endpoint() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
}

TEST(S3BlobStore, UnreachableEndpointIsUnavailableOnEveryCall) {
  store::testing::TempDir tmp;
  S3Config config;
  config.endpoint = dead_endpoint();
  config.bucket = "parley-test";
  config.access_key_id = "S3RVER";
  config.secret_access_key = "S3RVER";
  auto store = S3BlobStore::create(config, fs::path(tmp.file("tmp")));
  ASSERT_TRUE(store.ok());
  auto& s3 = *store.value();

  auto ping = s3.ping();
  ASSERT_FALSE(ping.ok());
  EXPECT_EQ(ping.error().kind, ErrorKind::unavailable);
  EXPECT_NE(ping.error().message.find(config.endpoint.substr(7)), std::string::npos) << ping.error().message;
  EXPECT_EQ(s3.put_bytes("a/b", "x", "text/plain").error().kind, ErrorKind::unavailable);
  EXPECT_EQ(s3.open("a/b").error().kind, ErrorKind::unavailable);
  EXPECT_EQ(s3.remove("a/b").error().kind, ErrorKind::unavailable);

  // A failed upload leaves the file where it was (the caller still owns it).
  fs::path file = s3.temp_dir() / "upload";
  std::ofstream(file) << "bytes";
  EXPECT_EQ(s3.put_file("a/b", file, "text/plain").error().kind, ErrorKind::unavailable);
  EXPECT_TRUE(fs::exists(file));
}

// A server that takes the connection and never answers: every call gives up
// (the total timeout, or for uploads the low-speed limit) instead of holding
// a worker thread forever.
TEST(S3BlobStore, SilentServerIsUnavailableNotAHang) {
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener, 16), 0);  // the kernel completes handshakes; nobody reads
  socklen_t len = sizeof addr;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);

  store::testing::TempDir tmp;
  S3Config config;
  config.endpoint = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  config.bucket = "parley-test";
  config.access_key_id = "S3RVER";
  config.secret_access_key = "S3RVER";
  config.low_speed_seconds = 1;
  config.request_timeout_ms = 1500;
  auto store = S3BlobStore::create(config, fs::path(tmp.file("tmp")));
  ASSERT_TRUE(store.ok());
  auto& s3 = *store.value();

  auto ping = s3.ping();
  ASSERT_FALSE(ping.ok());
  EXPECT_EQ(ping.error().kind, ErrorKind::unavailable);
  EXPECT_EQ(s3.open("a/b").error().kind, ErrorKind::unavailable);
  fs::path file = s3.temp_dir() / "upload";
  std::ofstream(file) << "bytes";
  auto put = s3.put_file("a/b", file, "text/plain");
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.error().kind, ErrorKind::unavailable) << put.error().message;
  EXPECT_TRUE(fs::exists(file));
  ::close(listener);
}

TEST(S3BlobStore, RefusedCredentialsAreUnavailableWithTheS3Code) {
  auto config = testing::test_s3_config();
  if (!config) GTEST_SKIP() << testing::kNoS3;
  config->access_key_id = "NOSUCHKEY";
  store::testing::TempDir tmp;
  auto store = S3BlobStore::create(*config, fs::path(tmp.file("tmp")));
  ASSERT_TRUE(store.ok());
  auto& s3 = *store.value();
  const std::string k = testing::unique_prefix() + "/x";

  auto put = s3.put_bytes(k, "x", "text/plain");
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.error().kind, ErrorKind::unavailable);
  EXPECT_NE(put.error().message.find("403 InvalidAccessKeyId"), std::string::npos) << put.error().message;

  auto open = s3.open(k);
  ASSERT_FALSE(open.ok());
  EXPECT_EQ(open.error().kind, ErrorKind::unavailable);
  EXPECT_NE(open.error().message.find("InvalidAccessKeyId"), std::string::npos) << open.error().message;

  auto ping = s3.ping();
  ASSERT_FALSE(ping.ok());
  EXPECT_NE(ping.error().message.find("HTTP 403"), std::string::npos) << ping.error().message;

  fs::path file = s3.temp_dir() / "upload";
  std::ofstream(file) << "bytes";
  auto put_file = s3.put_file(k, file, "text/plain");
  ASSERT_FALSE(put_file.ok());
  EXPECT_NE(put_file.error().message.find("InvalidAccessKeyId"), std::string::npos) << put_file.error().message;
  EXPECT_TRUE(fs::exists(file));
}

// The test server checks SigV4 signatures with AWS's own signer
// (tests/integration/lib/s3-server.mjs): a wrong secret is refused, and every
// other test passing means libcurl's signatures are the ones AWS computes.
TEST(S3BlobStore, WrongSecretIsSignatureDoesNotMatch) {
  auto config = testing::test_s3_config();
  if (!config) GTEST_SKIP() << testing::kNoS3;
  config->secret_access_key = "not-the-secret";
  store::testing::TempDir tmp;
  auto store = S3BlobStore::create(*config, fs::path(tmp.file("tmp")));
  ASSERT_TRUE(store.ok());
  const std::string k = testing::unique_prefix() + "/x";
  auto expect_refused = [](const Error& e) {
    EXPECT_EQ(e.kind, ErrorKind::unavailable);
    EXPECT_NE(e.message.find("403 SignatureDoesNotMatch"), std::string::npos) << e.message;
  };
  auto put = store.value()->put_bytes(k, "x", "text/plain");
  ASSERT_FALSE(put.ok());
  expect_refused(put.error());
  auto open = store.value()->open(k);
  ASSERT_FALSE(open.ok());
  expect_refused(open.error());
  auto remove = store.value()->remove(k);
  ASSERT_FALSE(remove.ok());
  expect_refused(remove.error());
  EXPECT_FALSE(store.value()->ping().ok());
}

TEST(S3BlobStore, MissingBucketIsUnavailable) {
  auto config = testing::test_s3_config();
  if (!config) GTEST_SKIP() << testing::kNoS3;
  config->bucket = "no-such-bucket-" + testing::unique_prefix();
  store::testing::TempDir tmp;
  auto store = S3BlobStore::create(*config, fs::path(tmp.file("tmp")));
  ASSERT_TRUE(store.ok());
  auto ping = store.value()->ping();
  ASSERT_FALSE(ping.ok());
  EXPECT_EQ(ping.error().kind, ErrorKind::unavailable);
  EXPECT_NE(ping.error().message.find("404"), std::string::npos) << ping.error().message;
  auto put = store.value()->put_bytes("a/b", "x", "text/plain");
  ASSERT_FALSE(put.ok());
  EXPECT_NE(put.error().message.find("NoSuchBucket"), std::string::npos) << put.error().message;
}

// A reader sees the bytes of the object it opened, by key, while the store
// that made it is gone (readers share the client).
TEST(S3BlobStore, ReaderOutlivesTheStore) {
  auto config = testing::test_s3_config();
  if (!config) GTEST_SKIP() << testing::kNoS3;
  store::testing::TempDir tmp;
  const std::string k = testing::unique_prefix() + "/outlive";
  std::unique_ptr<BlobReader> reader;
  const std::string bytes = testing::test_bytes(0, 3 << 20);
  {
    auto store = S3BlobStore::create(*config, fs::path(tmp.file("tmp")));
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE(store.value()->put_bytes(k, bytes, "application/octet-stream").ok());
    auto opened = store.value()->open(k);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    reader = std::move(opened.value());
  }
  std::string buf(1000, '\0');
  auto n = reader->read(2 << 20, std::span<char>(buf));  // outside the first window: a new request
  ASSERT_TRUE(n.ok()) << n.error().message;
  EXPECT_TRUE(buf == bytes.substr(2 << 20, 1000));
}

}  // namespace
}  // namespace parley::media
