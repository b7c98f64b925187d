#pragma once
// The default media store: files in the data folder (docs/media.md, "Storage
// layout"). A blob is the file `<root>/<key>`; uploads in progress live in
// `<root>/tmp`, on the same filesystem, so storing one is a rename. Durable
// before a put returns: the file is fsync'd, renamed into place and its folder
// fsync'd (and the root too when the key's folder is new), so a crash right
// after an acknowledged upload keeps it.
//
// Keys are checked with valid_blob_key on every call (bad_request otherwise);
// keys under "tmp/" are refused too, that folder is the temp area. Disk
// failures (ENOSPC, EIO, EACCES …) are unavailable, with the errno text.
//
// Thread-safety: every method from any thread, concurrently (syscalls; one
// shared_mutex orders folder creation against folder removal). Calls block on
// the disk: worker threads only. One process per data folder.
// Ownership: readers own their file descriptor and may outlive the store.

#include <filesystem>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>

#include "media/blob_store.hpp"

namespace parley::media {

class LocalBlobStore final : public BlobStore {
 public:
  // Creates `root` and `root/tmp` if needed; unavailable if that fails.
  static Result<std::unique_ptr<LocalBlobStore>> create(const std::filesystem::path& root);

  Status put_file(std::string_view key, const std::filesystem::path& file, std::string_view content_type) override;
  Status put_bytes(std::string_view key, std::string_view bytes, std::string_view content_type) override;
  Result<std::unique_ptr<BlobReader>> open(std::string_view key) override;
  Status remove(std::string_view key) override;
  Status ping() override;  // creates, syncs and removes a small file in tmp/
  const std::filesystem::path& temp_dir() const override { return temp_dir_; }
  std::string describe() const override { return "local:" + root_.string(); }

  // Where `key` lives (REQUIRES: a valid key). For tests and the sweep's logs.
  std::filesystem::path path_of(std::string_view key) const { return root_ / std::string(key); }

 private:
  explicit LocalBlobStore(std::filesystem::path root);
  Status check_key(std::string_view key) const;

  std::filesystem::path root_;
  std::filesystem::path temp_dir_;
  // Guards the key folders' existence: shared while a put makes its folder
  // and renames into it, exclusive while remove() drops emptied folders.
  std::shared_mutex folders_;
};

}  // namespace parley::media
