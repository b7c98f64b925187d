#pragma once
// Shared by the media store tests: the two backends (a local store in a temp
// folder; an S3 store on the test server named by PARLEY_TEST_S3_ENDPOINT,
// which scripts/test.sh starts with scripts/s3-server.sh), unique key
// prefixes (the S3 bucket is shared by tests running in parallel) and
// deterministic test bytes.

#include <sys/resource.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string>

#include "media/local_blob_store.hpp"
#include "media/s3_blob_store.hpp"
#include "store/temp_dir.hpp"

namespace parley::media::testing {

inline std::string env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : fallback;
}

// The S3 test server's settings, or nullopt when none is configured.
inline std::optional<S3Config> test_s3_config() {
  const char* endpoint = std::getenv("PARLEY_TEST_S3_ENDPOINT");
  if (endpoint == nullptr || *endpoint == '\0') return std::nullopt;
  S3Config c;
  c.endpoint = endpoint;
  c.bucket = env_or("PARLEY_TEST_S3_BUCKET", "parley-test");
  c.region = "us-east-1";
  c.access_key_id = env_or("PARLEY_TEST_S3_ACCESS_KEY_ID", "S3RVER");
  c.secret_access_key = env_or("PARLEY_TEST_S3_SECRET_ACCESS_KEY", "S3RVER");
  return c;
}

inline constexpr const char* kNoS3 =
    "PARLEY_TEST_S3_ENDPOINT is unset: no S3 test server (make test starts one: scripts/s3-server.sh)";

// "t<16 hex digits>": a key prefix no other test run uses.
inline std::string unique_prefix() {
  std::random_device rd;
  std::uniform_int_distribution<std::uint64_t> dist;
  static constexpr char kHex[] = "0123456789abcdef";
  std::uint64_t v = dist(rd);
  std::string out = "t";
  for (int i = 0; i < 16; ++i, v >>= 4) out += kHex[v & 0xf];
  return out;
}

// The byte at `offset` of a test blob: cheap, position-dependent, not periodic
// at any power of two, so a read from the wrong offset shows.
inline char byte_at(std::int64_t offset) {
  std::uint64_t x = static_cast<std::uint64_t>(offset) * 0x9E3779B97F4A7C15ULL;
  return static_cast<char>((x >> 29) ^ (x >> 47) ^ static_cast<std::uint64_t>(offset / 251));
}

inline void fill_test_bytes(std::int64_t offset, std::span<char> out) {
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = byte_at(offset + static_cast<std::int64_t>(i));
}

inline std::string test_bytes(std::int64_t offset, std::size_t n) {
  std::string out(n, '\0');
  fill_test_bytes(offset, out);
  return out;
}

// Peak resident memory of this process so far, in bytes.
inline std::int64_t peak_rss() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<std::int64_t>(usage.ru_maxrss) * 1024;
}

}  // namespace parley::media::testing
