#pragma once
// The data folder's owner: `parley serve` on SQLite and `parley restore` hold an
// exclusive lock on DATA_DIR/parley.lock for as long as they use the folder, so a
// restore never replaces the files of a running server, and two servers never
// share one SQLite store. The lock is flock(2) on an open descriptor: the kernel
// drops it when the process ends, however it ends, so a crash leaves nothing
// stale. The file holds the holder's pid, for the error message only; it is never
// removed (removing it would let a second process lock a new file while the first
// still holds the old one).
//
// Thread-safety: a DataDirLock is owned by one thread; acquire() has no shared
// state. Ownership: the lock lives as long as the object (move-only).

#include <filesystem>
#include <string>

#include "common/result.hpp"

namespace parley::app {

inline constexpr const char* data_dir_lock_name = "parley.lock";

class DataDirLock {
 public:
  // Locks DATA_DIR/parley.lock (the folder must exist). Held by another process:
  // Error code data_dir_in_use, whose message names the folder and the holder's pid.
  static Result<DataDirLock> acquire(const std::filesystem::path& data_dir);

  DataDirLock(DataDirLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  DataDirLock& operator=(DataDirLock&&) = delete;
  DataDirLock(const DataDirLock&) = delete;
  ~DataDirLock();

 private:
  explicit DataDirLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace parley::app
