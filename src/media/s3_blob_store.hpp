#pragma once
// The media store on an S3-compatible object store (docs/media.md, "Storage
// layout"), for cluster mode: every node sees every file. Object
// `<bucket>/<key>` per blob (path-style URLs); uploads in progress are local
// files in `temp_dir` (the node's `<data dir>/media/tmp`) until put_file
// streams them up and removes them. A put is durable when the object store
// has acknowledged it (200).
//
// Readers fetch with ranged GETs through a read-ahead window of at most
// kReadAhead bytes, so a sequential read of a 100 MB file costs 100 requests,
// not 1600, and never more than that window of memory.
//
// Keys are checked with valid_blob_key on every call (bad_request otherwise).
// Object store failures are unavailable, naming the S3 error code.
//
// Thread-safety: every method from any thread, concurrently (s3_client.hpp).
// Calls block on the network: worker threads only. Ownership: readers share
// the client, so they may outlive the store.

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "media/blob_store.hpp"
#include "media/s3_client.hpp"

namespace parley::media {

class S3BlobStore final : public BlobStore {
 public:
  static constexpr std::size_t kReadAhead = 1 << 20;

  // Creates `temp_dir` if needed (unavailable if it cannot); does not contact
  // the object store (ping does).
  static Result<std::unique_ptr<S3BlobStore>> create(S3Config config, const std::filesystem::path& temp_dir);

  Status put_file(std::string_view key, const std::filesystem::path& file, std::string_view content_type) override;
  Status put_bytes(std::string_view key, std::string_view bytes, std::string_view content_type) override;
  Result<std::unique_ptr<BlobReader>> open(std::string_view key) override;
  Status remove(std::string_view key) override;
  Status ping() override;  // HEAD of the bucket
  const std::filesystem::path& temp_dir() const override { return temp_dir_; }
  std::string describe() const override;

  // Requests sent so far (tests).
  std::uint64_t requests() const { return client_->requests(); }

 private:
  S3BlobStore(std::shared_ptr<S3Client> client, std::filesystem::path temp_dir);

  std::shared_ptr<S3Client> client_;
  std::filesystem::path temp_dir_;
};

}  // namespace parley::media
