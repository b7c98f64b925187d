#include "media/s3_blob_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

namespace parley::media {
namespace fs = std::filesystem;
namespace {

Status check_key(std::string_view key) {
  if (!valid_blob_key(key)) return Error::bad_request("invalid_blob_key", "invalid media key");
  return Status::success();
}

// Serves reads from one window of the object, [start_, start_ + len_), and
// refills it with a ranged GET when a read falls outside it. A read as large
// as the window goes straight into the caller's buffer.
class S3BlobReader final : public BlobReader {
 public:
  S3BlobReader(std::shared_ptr<S3Client> client, std::string key, std::int64_t size,
               std::unique_ptr<char[]> window, std::size_t len)
      : client_(std::move(client)), key_(std::move(key)), size_(size), window_(std::move(window)), len_(len) {}

  std::int64_t size() const override { return size_; }

  Result<std::size_t> read(std::int64_t offset, std::span<char> out) override {
    if (offset < 0) return Error::bad_request("bad_offset", "negative blob offset");
    if (offset >= size_) return std::size_t{0};
    const std::size_t want = static_cast<std::size_t>(std::min<std::int64_t>(out.size(), size_ - offset));
    std::size_t done = 0;
    while (done < want) {
      const std::int64_t at = offset + static_cast<std::int64_t>(done);
      if (at >= start_ && at < start_ + static_cast<std::int64_t>(len_)) {
        const std::size_t from = static_cast<std::size_t>(at - start_);
        const std::size_t n = std::min(want - done, len_ - from);
        std::memcpy(out.data() + done, window_.get() + from, n);
        done += n;
        continue;
      }
      const std::size_t rest = want - done;
      const bool direct = rest >= S3BlobStore::kReadAhead;
      std::span<char> into = direct ? out.subspan(done, rest)
                                    : std::span<char>(window_.get(), static_cast<std::size_t>(std::min<std::int64_t>(
                                                                         S3BlobStore::kReadAhead, size_ - at)));
      auto got = client_->get_range(key_, at, into);
      if (!got) return got.error().kind == ErrorKind::not_found
                           ? Error::unavailable("S3 GET " + key_ + ": the object disappeared while read")
                           : got.error();
      if (got->bytes != into.size()) return Error::unavailable("S3 GET " + key_ + ": short read");
      if (direct) {
        done += rest;
      } else {
        start_ = at;
        len_ = got->bytes;
      }
    }
    return done;
  }

 private:
  std::shared_ptr<S3Client> client_;
  std::string key_;
  std::int64_t size_;
  std::unique_ptr<char[]> window_;  // kReadAhead bytes
  std::int64_t start_ = 0;
  std::size_t len_;
};

}  // namespace

S3BlobStore::S3BlobStore(std::shared_ptr<S3Client> client, fs::path temp_dir)
    : client_(std::move(client)), temp_dir_(std::move(temp_dir)) {}

Result<std::unique_ptr<S3BlobStore>> S3BlobStore::create(S3Config config, const fs::path& temp_dir) {
  std::error_code ec;
  fs::create_directories(temp_dir, ec);
  if (ec) return Error::unavailable("media store: cannot create " + temp_dir.string() + ": " + ec.message());
  return std::unique_ptr<S3BlobStore>(new S3BlobStore(std::make_shared<S3Client>(std::move(config)), temp_dir));
}

std::string S3BlobStore::describe() const {
  const auto& c = client_->config();
  return "s3://" + c.bucket + " (endpoint " + c.endpoint + ", region " + c.region + ")";
}

Status S3BlobStore::put_file(std::string_view key, const fs::path& file, std::string_view content_type) {
  if (auto st = check_key(key); !st) return st;
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error::unavailable("media store: open " + file.string() + ": " + std::strerror(errno));
  struct stat info {};
  Status st = ::fstat(fd, &info) == 0
                  ? client_->put_stream(key, fd, info.st_size, content_type)
                  : Status(Error::unavailable("media store: stat " + file.string() + ": " + std::strerror(errno)));
  ::close(fd);
  if (!st) return st;
  // Stored: the local copy is ours to drop. Should the unlink fail, the temp
  // sweep removes the file after a day; the upload itself succeeded.
  std::error_code ec;
  fs::remove(file, ec);
  return Status::success();
}

Status S3BlobStore::put_bytes(std::string_view key, std::string_view bytes, std::string_view content_type) {
  if (auto st = check_key(key); !st) return st;
  return client_->put_bytes(key, bytes, content_type);
}

Result<std::unique_ptr<BlobReader>> S3BlobStore::open(std::string_view key) {
  if (auto st = check_key(key); !st) return st.error();
  // The first window comes with the size (Content-Range), in one request, and
  // with an S3 error code if it fails (a HEAD reply has no body to name one).
  auto window = std::make_unique<char[]>(kReadAhead);
  auto got = client_->get_range(key, 0, std::span<char>(window.get(), kReadAhead));
  if (!got) return got.error();
  return std::unique_ptr<BlobReader>(
      new S3BlobReader(client_, std::string(key), got->total, std::move(window), got->bytes));
}

Status S3BlobStore::remove(std::string_view key) {
  if (auto st = check_key(key); !st) return st;
  return client_->remove(key);
}

Status S3BlobStore::ping() { return client_->head_bucket(); }

}  // namespace parley::media
