#pragma once
// Where the bytes of attachments and thumbnails live (docs/media.md): the
// local disk in the data folder (local_blob_store.hpp, the default) or an
// S3-compatible object store (s3_blob_store.hpp, for cluster mode, where every
// node must see every file). Keys are chosen by the chat layer:
//   <attachment id>/<sha256 of the content>          the uploaded file
//   <attachment id>/<sha256 of the thumbnail>.<ext>  a thumbnail
// so a key names immutable bytes (content-addressed: the hash is the ETag and
// the URL changes when the bytes would), and each key belongs to one
// attachment, so reclaiming an attachment never needs reference counts.
// Keys are [0-9a-z./_-] only, 1 to 1024 bytes, never start with '/' nor contain
// ".." (exactly: the segments between '/' are non-empty and never start with '.').
//
// Errors are values: not_found for an absent key; unavailable when the disk or
// the object store fails (the caller answers 503 and keeps nothing half-done).
//
// Thread-safety: every method may be called from any thread, concurrently.
// Calls BLOCK (disk or network I/O): worker threads only, never an IO thread.
// A BlobReader is used by one thread at a time.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace parley::media {

// Reads one blob, at any offsets (HTTP Range). Owned by its caller.
class BlobReader {
 public:
  virtual ~BlobReader() = default;
  virtual std::int64_t size() const = 0;
  // Up to out.size() bytes from `offset`; fewer only at the end of the blob; 0
  // at or past the end. unavailable on an I/O or network failure.
  virtual Result<std::size_t> read(std::int64_t offset, std::span<char> out) = 0;
};

class BlobStore {
 public:
  virtual ~BlobStore() = default;

  // Stores the complete file at `file` under `key` and takes the file: on
  // success it is gone from `file` (renamed into place, or uploaded and
  // removed); on failure it is left where it was. Durable when it returns ok
  // (fsync'd, or acknowledged by the object store). Replaces an existing key.
  // `file` must be in temp_dir() (same filesystem, so a local store can rename).
  virtual Status put_file(std::string_view key, const std::filesystem::path& file,
                          std::string_view content_type) = 0;
  // The same for bytes in memory (thumbnails, a few hundred KB).
  virtual Status put_bytes(std::string_view key, std::string_view bytes, std::string_view content_type) = 0;
  // not_found when absent.
  virtual Result<std::unique_ptr<BlobReader>> open(std::string_view key) = 0;
  // Absent is success.
  virtual Status remove(std::string_view key) = 0;
  // For /readyz: can the store be reached now (a cheap request).
  virtual Status ping() = 0;

  // A local folder for uploads in progress, on the same filesystem as a local
  // store; files older than a day there are leftovers of a crash (the sweep
  // removes them).
  virtual const std::filesystem::path& temp_dir() const = 0;
  // "local:/var/lib/parley/media" or "s3://bucket (endpoint …)", for logs.
  virtual std::string describe() const = 0;
};

// Opens the store a `--media-store` value names: empty → local disk in
// `<data_dir>/media`; "s3://BUCKET?endpoint=URL&region=R" with the
// credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (docs/media.md).
// bad_request for a malformed value; unavailable if it cannot be reached.
Result<std::unique_ptr<BlobStore>> open_blob_store(std::string_view spec, const std::filesystem::path& data_dir);

// True when `key` is a key of the shape above (no traversal, no odd bytes).
bool valid_blob_key(std::string_view key);

}  // namespace parley::media
