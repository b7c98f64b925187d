#include "app/data_dir_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace parley::app {

Result<DataDirLock> DataDirLock::acquire(const std::filesystem::path& data_dir) {
  const std::string path = (data_dir / data_dir_lock_name).string();
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  // Left by another user (a restore run as root): a read-only descriptor locks as well.
  if (fd < 0 && errno == EACCES) fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error::internal("cannot open " + path + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    std::string holder;
    char buffer[32] = {};
    const auto got = ::pread(fd, buffer, sizeof buffer - 1, 0);
    if (got > 0) holder.assign(buffer, static_cast<std::size_t>(got));
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
    ::close(fd);
    if (error != EWOULDBLOCK) return Error::internal("cannot lock " + path + ": " + std::strerror(error));
    return Error{ErrorKind::conflict, "data_dir_in_use",
                 "data dir " + data_dir.string() + " is in use by another parley process" +
                     (holder.empty() ? std::string() : " (pid " + holder + ")")};
  }
  // Ours now: record the pid (best effort, only for the message above).
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) == 0) {
    [[maybe_unused]] const auto written = ::pwrite(fd, pid.data(), pid.size(), 0);
  }
  return DataDirLock(fd);
}

DataDirLock::~DataDirLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the last descriptor releases the flock
}

}  // namespace parley::app
