#include "auth/secret.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>

#include "auth/sodium.hpp"

namespace parley::auth {
namespace {

constexpr std::size_t secret_bytes = 32;
constexpr std::size_t max_file_bytes = 4096;

// Closes on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

Error fail(const std::filesystem::path& path, std::string_view what, int err) {
  return Error::internal(std::string(what) + " " + path.string() + ": " + std::strerror(err));
}

Error refuse(const std::filesystem::path& path, std::string_view why) {
  return Error::internal("refusing jwt secret file " + path.string() + ": " + std::string(why));
}

std::string_view trim(std::string_view s) {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

bool has_control_chars(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return true;
  return false;
}

std::string octal_mode(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

Result<std::string> read_secret(const std::filesystem::path& path, int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return fail(path, "cannot stat", errno);
  if (!S_ISREG(st.st_mode)) return refuse(path, "not a regular file");
  if ((st.st_mode & 077) != 0)
    return refuse(path, "mode " + octal_mode(st.st_mode) +
                            " lets group or others read or write it; run: chmod 600 " + path.string());
  if (st.st_size > static_cast<off_t>(max_file_bytes)) return refuse(path, "larger than 4096 bytes");

  std::string text(max_file_bytes + 1, '\0');
  std::size_t got = 0;
  while (got < text.size()) {
    const ssize_t n = ::read(fd, text.data() + got, text.size() - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(path, "cannot read", errno);
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  if (got > max_file_bytes) return refuse(path, "larger than 4096 bytes");
  text.resize(got);
  const std::string secret(trim(text));
  sodium_memzero(text.data(), text.size());
  if (secret.size() < min_secret_chars)
    return refuse(path, "shorter than " + std::to_string(min_secret_chars) +
                            " characters; delete it to have a new one generated");
  if (has_control_chars(secret)) return refuse(path, "contains control characters");
  return secret;
}

Status sync_dir(const std::filesystem::path& dir) {
  const Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return fail(dir, "cannot open directory", errno);
  if (::fsync(fd.get()) != 0) return fail(dir, "cannot sync directory", errno);
  return Status::success();
}

// Writes a fresh secret under a temporary name and links it into place, which fails
// rather than overwrite. Sets `lost_race` (and returns an error) when another
// process created the file first; the caller then reads that one.
Result<std::string> create_secret(const std::filesystem::path& dir, const std::filesystem::path& path,
                                  bool& lost_race) {
  lost_race = false;
  std::string secret = new_secret();

  std::string tmp = (dir / ".jwt-secret.XXXXXX").string();
  const Fd fd(::mkostemp(tmp.data(), O_CLOEXEC));  // mode 0600, whatever the umask
  if (fd.get() < 0) return fail(dir, "cannot create a file in", errno);
  const auto cleanup_fail = [&](std::string_view what) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return fail(path, what, err);
  };
  if (::fchmod(fd.get(), 0600) != 0) return cleanup_fail("cannot chmod");
  if (!write_all(fd.get(), secret + "\n")) return cleanup_fail("cannot write");
  if (::fsync(fd.get()) != 0) return cleanup_fail("cannot sync");
  if (::link(tmp.c_str(), path.c_str()) != 0) {
    if (errno == EEXIST) {
      ::unlink(tmp.c_str());
      lost_race = true;
      return Error::internal("lost race");
    }
    return cleanup_fail("cannot create");
  }
  ::unlink(tmp.c_str());
  if (auto st = sync_dir(dir); !st) return st.error();
  return secret;
}

}  // namespace

std::string new_secret() {
  detail::ensure_sodium();
  std::array<unsigned char, secret_bytes> bytes{};
  randombytes_buf(bytes.data(), bytes.size());
  std::array<char, secret_bytes * 2 + 1> hex{};
  sodium_bin2hex(hex.data(), hex.size(), bytes.data(), bytes.size());
  sodium_memzero(bytes.data(), bytes.size());
  std::string secret(hex.data(), secret_bytes * 2);
  sodium_memzero(hex.data(), hex.size());
  return secret;
}

Result<std::string> load_or_create_secret(const std::filesystem::path& data_dir) {
  detail::ensure_sodium();
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) return Error::internal("cannot create data directory " + data_dir.string() + ": " + ec.message());
  const std::filesystem::path path = data_dir / secret_file_name;

  // Two rounds at most: if another process links its file in between our failed
  // open and our link, the second open reads that file.
  for (int round = 0; round < 2; ++round) {
    const Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
    if (fd.get() >= 0) return read_secret(path, fd.get());
    if (errno != ENOENT) return fail(path, "cannot open", errno);
    bool lost_race = false;
    auto created = create_secret(data_dir, path, lost_race);
    if (!lost_race) return created;
  }
  return Error::internal("cannot create " + path.string() + ": it keeps appearing and vanishing");
}

Status validate_secret(std::string_view secret) {
  if (secret.size() < min_secret_chars)
    return Error::bad_request("weak_secret", "the jwt secret must be at least " + std::to_string(min_secret_chars) +
                                                 " characters long");
  if (has_control_chars(secret))
    return Error::bad_request("bad_secret", "the jwt secret must not contain control characters");
  return Status::success();
}

}  // namespace parley::auth
