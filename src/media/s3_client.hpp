#pragma once
// The few S3 REST calls the media store needs (PUT, ranged GET, DELETE, HEAD
// bucket), over libcurl, path-style (`<endpoint>/<bucket>/<key>`), signed by
// libcurl's own AWS SigV4 (CURLOPT_AWS_SIGV4): no hand-written signing.
// Payloads are sent as UNSIGNED-PAYLOAD when streamed from a file (hashing a
// 100 MB upload again just to sign it would read it twice) and with their
// SHA-256 when in memory.
//
// Every request has a connect timeout and a low-speed limit (a stalled peer
// fails instead of hanging a worker); requests without a large body also have
// a total timeout. A failure is `unavailable`, its message carrying the HTTP
// status and the S3 error code from the XML body ("403 InvalidAccessKeyId").
//
// Thread-safety: every method from any thread, concurrently; each call takes
// its own CURL handle from a small pool (handles keep their connections, so
// sequential requests reuse one). Calls block: worker threads only.
// Ownership: shared (readers keep the client alive while they read).

#include <atomic>
#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace parley::media {

struct S3Config {
  std::string endpoint;  // "http://127.0.0.1:9000": scheme, host, port; no trailing '/'
  std::string bucket;
  std::string region = "us-east-1";
  std::string access_key_id;
  std::string secret_access_key;
  long connect_timeout_ms = 5000;
  long low_speed_bytes_per_second = 1024;  // slower than this …
  long low_speed_seconds = 30;             // … for this long fails the request
  long request_timeout_ms = 60000;         // whole request, for all but uploads
};

class S3Client {
 public:
  explicit S3Client(S3Config config);
  ~S3Client();
  S3Client(const S3Client&) = delete;
  S3Client& operator=(const S3Client&) = delete;

  // PUT of `size` bytes read from `fd` (from its current offset).
  Status put_stream(std::string_view key, int fd, std::int64_t size, std::string_view content_type);
  Status put_bytes(std::string_view key, std::string_view bytes, std::string_view content_type);

  struct Range {
    std::size_t bytes = 0;    // written to the front of `out`
    std::int64_t total = 0;   // the object's size
  };
  // GET of bytes [offset, offset + out.size()); not_found when absent. An
  // offset at or past the end of a non-empty object is an error; an empty
  // object gives {0, 0}.
  Result<Range> get_range(std::string_view key, std::int64_t offset, std::span<char> out);
  // DELETE; absent is success.
  Status remove(std::string_view key);
  // HEAD of the bucket: reachable, bucket present, credentials accepted.
  Status head_bucket();

  const S3Config& config() const { return config_; }
  // Requests sent so far (tests check that sequential reads are batched).
  std::uint64_t requests() const { return requests_.load(std::memory_order_relaxed); }

  struct Exchange;  // one request and its response (s3_client.cpp), for libcurl's callbacks

 private:
  Status perform(Exchange& x);
  void* acquire();
  void release(void* handle);

  const S3Config config_;
  const std::string sigv4_;  // "aws:amz:<region>:s3"
  std::atomic<std::uint64_t> requests_{0};
  std::mutex mutex_;
  std::vector<void*> idle_;  // GUARDED_BY(mutex_); CURL handles
};

}  // namespace parley::media
