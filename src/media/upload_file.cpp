#include "media/upload_file.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "media/content_sniffer.hpp"

namespace parley::media {

namespace {

void ensure_sodium() {
  // sodium_init is idempotent and thread-safe; it fails only without a randomness
  // source, which the hash does not need.
  static const int once = sodium_init();
  (void)once;
}

std::string errno_text() { return std::strerror(errno); }

}  // namespace

struct UploadFile::State {
  std::filesystem::path path;
  int fd = -1;
  std::int64_t max_bytes = 0;
  std::int64_t size = 0;
  std::string head;
  crypto_hash_sha256_state hash;
  std::string digest_hex;  // set by finish()
  bool released = false;

  ~State() {
    if (fd >= 0) ::close(fd);
    if (!released && !path.empty()) {
      std::error_code ec;
      std::filesystem::remove(path, ec);
    }
  }
};

Result<UploadFile> UploadFile::create(const std::filesystem::path& temp_dir, std::int64_t max_bytes) {
  ensure_sodium();
  std::error_code ec;
  std::filesystem::create_directories(temp_dir, ec);
  std::string templ = (temp_dir / "upload-XXXXXX").string();
  const int fd = ::mkostemp(templ.data(), O_CLOEXEC);
  if (fd < 0) return Error::unavailable("cannot create an upload file in " + temp_dir.string() + ": " + errno_text());
  auto state = std::make_unique<State>();
  state->path = templ;
  state->fd = fd;
  state->max_bytes = max_bytes;
  crypto_hash_sha256_init(&state->hash);
  return UploadFile(std::move(state));
}

UploadFile::UploadFile(std::unique_ptr<State> state) : state_(std::move(state)) {}
UploadFile::UploadFile(UploadFile&&) noexcept = default;
UploadFile& UploadFile::operator=(UploadFile&&) noexcept = default;
UploadFile::~UploadFile() = default;

Status UploadFile::append(std::span<const char> bytes) {
  auto& s = *state_;
  if (s.fd < 0) return Error::internal("upload file already finished");
  if (static_cast<std::int64_t>(bytes.size()) > s.max_bytes - s.size)
    return Error{ErrorKind::payload_too_large, "payload_too_large",
                 "the file is larger than the limit of " + std::to_string(s.max_bytes) + " bytes"};
  if (s.head.size() < kSniffBytes)
    s.head.append(bytes.data(), std::min(bytes.size(), kSniffBytes - s.head.size()));
  crypto_hash_sha256_update(&s.hash, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(s.fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::unavailable("cannot write the upload: " + errno_text());
    }
    done += static_cast<std::size_t>(n);
  }
  s.size += static_cast<std::int64_t>(bytes.size());
  return Status::success();
}

Status UploadFile::finish() {
  auto& s = *state_;
  if (s.fd < 0) return s.digest_hex.empty() ? Error::internal("upload file unusable") : Status::success();
  if (::fsync(s.fd) != 0) return Error::unavailable("cannot sync the upload: " + errno_text());
  if (::close(s.fd) != 0) {
    s.fd = -1;
    return Error::unavailable("cannot close the upload: " + errno_text());
  }
  s.fd = -1;
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&s.hash, digest);
  static constexpr char hex[] = "0123456789abcdef";
  s.digest_hex.clear();
  for (unsigned char byte : digest) {
    s.digest_hex += hex[byte >> 4];
    s.digest_hex += hex[byte & 15];
  }
  return Status::success();
}

const std::filesystem::path& UploadFile::path() const { return state_->path; }
std::int64_t UploadFile::size() const { return state_->size; }
std::string UploadFile::sha256_hex() const { return state_->digest_hex; }
const std::string& UploadFile::head() const { return state_->head; }
void UploadFile::release() { state_->released = true; }

}  // namespace parley::media
