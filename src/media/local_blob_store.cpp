#include "media/local_blob_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <utility>

namespace parley::media {
namespace fs = std::filesystem;
namespace {

Error sys_error(std::string_view what, const fs::path& path, int err) {
  return Error::unavailable("media store: " + std::string(what) + " " + path.string() + ": " + std::strerror(err));
}

// Closes a descriptor on every path out of a function.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { if (fd_ >= 0) ::close(fd_); }
  int get() const { return fd_; }
  // close() reports deferred write errors (NFS, some FUSE filesystems).
  int close() { int rc = ::close(fd_); fd_ = -1; return rc; }

 private:
  int fd_;
};

Status fsync_path(const fs::path& path, bool directory) {
  Fd fd(::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC));
  if (fd.get() < 0) return sys_error("open", path, errno);
  if (::fsync(fd.get()) != 0) return sys_error("fsync", path, errno);
  return Status::success();
}

// mkdir -p of `root/rel`, fsyncing the parent of every folder it creates so
// that the new directory entries survive a crash along with the file.
Status ensure_dirs(const fs::path& root, const fs::path& rel) {
  fs::path at = root;
  for (const auto& part : rel) {
    fs::path next = at / part;
    if (::mkdir(next.c_str(), 0755) == 0) {
      if (auto st = fsync_path(at, true); !st) return st;
    } else if (errno != EEXIST) {
      return sys_error("mkdir", next, errno);
    }
    at = std::move(next);
  }
  return Status::success();
}

Status write_all(int fd, std::string_view bytes, const fs::path& path) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return sys_error("write", path, errno);
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return Status::success();
}

class LocalBlobReader final : public BlobReader {
 public:
  LocalBlobReader(int fd, std::int64_t size) : fd_(fd), size_(size) {}
  ~LocalBlobReader() override { ::close(fd_); }
  std::int64_t size() const override { return size_; }

  Result<std::size_t> read(std::int64_t offset, std::span<char> out) override {
    if (offset < 0) return Error::bad_request("bad_offset", "negative blob offset");
    std::size_t done = 0;
    while (done < out.size() && offset + static_cast<std::int64_t>(done) < size_) {
      ssize_t n = ::pread(fd_, out.data() + done, out.size() - done, offset + static_cast<off_t>(done));
      if (n < 0) {
        if (errno == EINTR) continue;
        return Error::unavailable(std::string("media store: read: ") + std::strerror(errno));
      }
      if (n == 0) break;  // the file is shorter than at open (it never should be)
      done += static_cast<std::size_t>(n);
    }
    return done;
  }

 private:
  int fd_;
  std::int64_t size_;
};

}  // namespace

LocalBlobStore::LocalBlobStore(fs::path root) : root_(std::move(root)), temp_dir_(root_ / "tmp") {}

Result<std::unique_ptr<LocalBlobStore>> LocalBlobStore::create(const fs::path& root) {
  std::error_code ec;
  fs::create_directories(root / "tmp", ec);
  if (ec) return Error::unavailable("media store: cannot create " + (root / "tmp").string() + ": " + ec.message());
  return std::unique_ptr<LocalBlobStore>(new LocalBlobStore(root));
}

Status LocalBlobStore::check_key(std::string_view key) const {
  if (!valid_blob_key(key)) return Error::bad_request("invalid_blob_key", "invalid media key");
  if (key.starts_with("tmp/")) return Error::bad_request("invalid_blob_key", "media keys under tmp/ are reserved");
  return Status::success();
}

Status LocalBlobStore::put_file(std::string_view key, const fs::path& file, std::string_view /*content_type*/) {
  if (auto st = check_key(key); !st) return st;
  if (auto st = fsync_path(file, false); !st) return st;
  const fs::path dest = path_of(key);
  {
    // Shared: puts run together; remove() rmdirs an emptied folder only
    // between a put's mkdir and its rename, never in the middle.
    std::shared_lock lock(folders_);
    if (auto st = ensure_dirs(root_, fs::path(std::string(key)).parent_path()); !st) return st;
    if (::rename(file.c_str(), dest.c_str()) != 0) return sys_error("rename into", dest, errno);
  }
  if (auto st = fsync_path(dest.parent_path(), true); !st) {
    // Not known durable: give the file back, as the contract says for failures.
    (void)::rename(dest.c_str(), file.c_str());
    return st;
  }
  return Status::success();
}

Status LocalBlobStore::put_bytes(std::string_view key, std::string_view bytes, std::string_view content_type) {
  if (auto st = check_key(key); !st) return st;
  std::string name = (temp_dir_ / "put-XXXXXX").string();
  Fd fd(::mkstemp(name.data()));
  if (fd.get() < 0) return sys_error("create a temp file in", temp_dir_, errno);
  const fs::path temp = name;
  Status st = write_all(fd.get(), bytes, temp);
  if (st && ::fsync(fd.get()) != 0) st = sys_error("fsync", temp, errno);
  if (st && fd.close() != 0) st = sys_error("close", temp, errno);
  if (st) st = put_file(key, temp, content_type);
  if (!st) ::unlink(temp.c_str());
  return st;
}

Result<std::unique_ptr<BlobReader>> LocalBlobStore::open(std::string_view key) {
  if (auto st = check_key(key); !st) return st.error();
  const fs::path path = path_of(key);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return Error::not_found("no such media blob");
    return sys_error("open", path, errno);
  }
  struct stat info {};
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    int err = errno;
    ::close(fd);
    return S_ISREG(info.st_mode) ? sys_error("stat", path, err) : Error::not_found("no such media blob");
  }
  return std::unique_ptr<BlobReader>(new LocalBlobReader(fd, info.st_size));
}

Status LocalBlobStore::remove(std::string_view key) {
  if (auto st = check_key(key); !st) return st;
  const fs::path path = path_of(key);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT && errno != ENOTDIR) return sys_error("unlink", path, errno);
  // Drop the key's folders once empty, so reclaimed attachments leave no
  // litter; rmdir fails harmlessly (ENOTEMPTY) while other blobs remain.
  std::unique_lock lock(folders_);
  fs::path dir = path.parent_path();
  for (auto depth = std::count(key.begin(), key.end(), '/'); depth > 0; --depth, dir = dir.parent_path()) {
    if (::rmdir(dir.c_str()) != 0) break;
  }
  return Status::success();
}

Status LocalBlobStore::ping() {
  std::string name = (temp_dir_ / "ping-XXXXXX").string();
  Fd fd(::mkstemp(name.data()));
  if (fd.get() < 0) return sys_error("create a file in", temp_dir_, errno);
  Status st = write_all(fd.get(), "ping", name);
  if (st && ::fsync(fd.get()) != 0) st = sys_error("fsync", name, errno);
  ::unlink(name.c_str());
  return st;
}

}  // namespace parley::media
