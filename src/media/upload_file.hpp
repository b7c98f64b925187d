#pragma once
// One upload in progress: the request body streamed into a temp file in the
// blob store's temp_dir, hashed (SHA-256) as it arrives, with a size cap, so
// that a 100 MB upload costs a fixed buffer, not 100 MB of memory. Keeps the
// first kSniffBytes for content sniffing. Unless taken by BlobStore::put_file
// the file is removed when the UploadFile dies: an interrupted or refused
// upload leaves nothing behind.
//
// Thread-safety: one thread at a time (movable between threads).
// Ownership: owns the temp file.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>

#include "common/result.hpp"

namespace parley::media {

class UploadFile {
 public:
  // A new empty file in `temp_dir`; unavailable if it cannot be created.
  static Result<UploadFile> create(const std::filesystem::path& temp_dir, std::int64_t max_bytes);
  UploadFile(UploadFile&&) noexcept;
  UploadFile& operator=(UploadFile&&) noexcept;
  ~UploadFile();  // removes the file unless released

  // payload_too_large once the total would pass max_bytes (nothing written);
  // unavailable on a write error (disk full).
  Status append(std::span<const char> bytes);
  // fsync; after it the file is complete and durable.
  Status finish();

  const std::filesystem::path& path() const;
  std::int64_t size() const;
  std::string sha256_hex() const;  // REQUIRES: finish() succeeded
  const std::string& head() const;  // the first bytes (up to kSniffBytes)
  // The file is someone else's now (renamed or uploaded): do not remove it.
  void release();

 private:
  struct State;
  explicit UploadFile(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace parley::media
