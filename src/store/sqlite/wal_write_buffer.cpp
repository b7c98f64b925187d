#include "store/sqlite/wal_write_buffer.hpp"

#include <sqlite3.h>

#include <cstring>

namespace parley::store::sqlite {

namespace {

static_assert(wal_write_buffer_bytes < 0x20000, "one buffer must be one write of the unix VFS");

// One open file: ours first (what SQLite sees), the wrapped VFS's file after it.
struct BufferedFile {
  sqlite3_file base;         // base.pMethods is &buffered_methods
  sqlite3_file* real;        // the wrapped VFS's file, in the same allocation
  bool is_wal;               // only WAL files gather writes
  char* buffer;              // wal_write_buffer_bytes, allocated at the first write
  sqlite3_int64 buffer_offset;  // file offset of buffer[0]
  int buffer_length;         // bytes gathered
};

sqlite3_vfs* wrapped_vfs(sqlite3_vfs* vfs) { return static_cast<sqlite3_vfs*>(vfs->pAppData); }

BufferedFile* as_buffered(sqlite3_file* file) { return reinterpret_cast<BufferedFile*>(file); }

const sqlite3_io_methods* real_methods(BufferedFile* f) { return f->real->pMethods; }

// Writes what was gathered. On failure the gathered bytes are dropped: the
// error reaches SQLite through the call that forced the flush, and SQLite
// abandons the transaction those frames belonged to.
int flush(BufferedFile* f) {
  if (f->buffer_length == 0) return SQLITE_OK;
  int length = f->buffer_length;
  f->buffer_length = 0;
  return real_methods(f)->xWrite(f->real, f->buffer, length, f->buffer_offset);
}

bool overlaps_buffer(const BufferedFile* f, sqlite3_int64 offset, int amount) {
  return f->buffer_length > 0 && offset < f->buffer_offset + f->buffer_length &&
         f->buffer_offset < offset + amount;
}

int buffered_close(sqlite3_file* file) {
  BufferedFile* f = as_buffered(file);
  int rc = flush(f);
  int close_rc = real_methods(f)->xClose(f->real);
  sqlite3_free(f->buffer);
  f->buffer = nullptr;
  return rc != SQLITE_OK ? rc : close_rc;
}

int buffered_read(sqlite3_file* file, void* out, int amount, sqlite3_int64 offset) {
  BufferedFile* f = as_buffered(file);
  if (overlaps_buffer(f, offset, amount)) {
    if (int rc = flush(f); rc != SQLITE_OK) return rc;
  }
  return real_methods(f)->xRead(f->real, out, amount, offset);
}

int buffered_write(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
  BufferedFile* f = as_buffered(file);
  if (!f->is_wal) return real_methods(f)->xWrite(f->real, data, amount, offset);
  const bool appends = f->buffer_length > 0 && offset == f->buffer_offset + f->buffer_length;
  if (!appends || f->buffer_length + amount > wal_write_buffer_bytes) {
    if (int rc = flush(f); rc != SQLITE_OK) return rc;
  }
  if (amount > wal_write_buffer_bytes) return real_methods(f)->xWrite(f->real, data, amount, offset);
  if (f->buffer == nullptr) {
    f->buffer = static_cast<char*>(sqlite3_malloc(wal_write_buffer_bytes));
    if (f->buffer == nullptr) return real_methods(f)->xWrite(f->real, data, amount, offset);
  }
  if (f->buffer_length == 0) f->buffer_offset = offset;
  std::memcpy(f->buffer + f->buffer_length, data, static_cast<std::size_t>(amount));
  f->buffer_length += amount;
  return SQLITE_OK;
}

int buffered_truncate(sqlite3_file* file, sqlite3_int64 size) {
  BufferedFile* f = as_buffered(file);
  if (int rc = flush(f); rc != SQLITE_OK) return rc;
  return real_methods(f)->xTruncate(f->real, size);
}

int buffered_sync(sqlite3_file* file, int flags) {
  BufferedFile* f = as_buffered(file);
  if (int rc = flush(f); rc != SQLITE_OK) return rc;
  return real_methods(f)->xSync(f->real, flags);
}

int buffered_file_size(sqlite3_file* file, sqlite3_int64* size) {
  BufferedFile* f = as_buffered(file);
  if (int rc = flush(f); rc != SQLITE_OK) return rc;
  return real_methods(f)->xFileSize(f->real, size);
}

int buffered_lock(sqlite3_file* file, int level) {
  BufferedFile* f = as_buffered(file);
  return real_methods(f)->xLock(f->real, level);
}

int buffered_unlock(sqlite3_file* file, int level) {
  BufferedFile* f = as_buffered(file);
  return real_methods(f)->xUnlock(f->real, level);
}

int buffered_check_reserved_lock(sqlite3_file* file, int* out) {
  BufferedFile* f = as_buffered(file);
  return real_methods(f)->xCheckReservedLock(f->real, out);
}

// Some file controls act on the file's contents or size (size hints, the
// persist-WAL and commit-phase hooks): the file is brought up to date first.
int buffered_file_control(sqlite3_file* file, int op, void* arg) {
  BufferedFile* f = as_buffered(file);
  if (int rc = flush(f); rc != SQLITE_OK) return rc;
  return real_methods(f)->xFileControl(f->real, op, arg);
}

int buffered_sector_size(sqlite3_file* file) {
  BufferedFile* f = as_buffered(file);
  return real_methods(f)->xSectorSize(f->real);
}

int buffered_device_characteristics(sqlite3_file* file) {
  BufferedFile* f = as_buffered(file);
  return real_methods(f)->xDeviceCharacteristics(f->real);
}

int buffered_shm_map(sqlite3_file* file, int region, int size, int extend, void volatile** out) {
  BufferedFile* f = as_buffered(file);
  if (real_methods(f)->iVersion < 2) return SQLITE_IOERR_SHMMAP;
  return real_methods(f)->xShmMap(f->real, region, size, extend, out);
}

int buffered_shm_lock(sqlite3_file* file, int offset, int n, int flags) {
  BufferedFile* f = as_buffered(file);
  if (real_methods(f)->iVersion < 2) return SQLITE_IOERR_SHMLOCK;
  return real_methods(f)->xShmLock(f->real, offset, n, flags);
}

void buffered_shm_barrier(sqlite3_file* file) {
  BufferedFile* f = as_buffered(file);
  if (real_methods(f)->iVersion >= 2) real_methods(f)->xShmBarrier(f->real);
}

int buffered_shm_unmap(sqlite3_file* file, int delete_flag) {
  BufferedFile* f = as_buffered(file);
  if (real_methods(f)->iVersion < 2) return SQLITE_OK;
  return real_methods(f)->xShmUnmap(f->real, delete_flag);
}

// Memory-mapped reads see the file, not the buffer: bring it up to date.
int buffered_fetch(sqlite3_file* file, sqlite3_int64 offset, int amount, void** out) {
  BufferedFile* f = as_buffered(file);
  *out = nullptr;
  if (real_methods(f)->iVersion < 3) return SQLITE_OK;  // "no mapping": SQLite reads instead
  if (overlaps_buffer(f, offset, amount)) {
    if (int rc = flush(f); rc != SQLITE_OK) return rc;
  }
  return real_methods(f)->xFetch(f->real, offset, amount, out);
}

int buffered_unfetch(sqlite3_file* file, sqlite3_int64 offset, void* mapped) {
  BufferedFile* f = as_buffered(file);
  if (real_methods(f)->iVersion < 3) return SQLITE_OK;
  return real_methods(f)->xUnfetch(f->real, offset, mapped);
}

const sqlite3_io_methods buffered_methods = {
    3,
    buffered_close,
    buffered_read,
    buffered_write,
    buffered_truncate,
    buffered_sync,
    buffered_file_size,
    buffered_lock,
    buffered_unlock,
    buffered_check_reserved_lock,
    buffered_file_control,
    buffered_sector_size,
    buffered_device_characteristics,
    buffered_shm_map,
    buffered_shm_lock,
    buffered_shm_barrier,
    buffered_shm_unmap,
    buffered_fetch,
    buffered_unfetch,
};

constexpr std::size_t real_file_offset = (sizeof(BufferedFile) + 7) & ~std::size_t{7};

int buffered_open(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
  BufferedFile* f = as_buffered(file);
  f->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + real_file_offset);
  f->is_wal = (flags & SQLITE_OPEN_WAL) != 0;
  f->buffer = nullptr;
  f->buffer_offset = 0;
  f->buffer_length = 0;
  int rc = wrapped_vfs(vfs)->xOpen(wrapped_vfs(vfs), name, f->real, flags, out_flags);
  // SQLite calls xClose on a file whose pMethods is set, even when xOpen
  // failed: ours is set exactly when the wrapped file needs closing.
  f->base.pMethods = f->real->pMethods != nullptr ? &buffered_methods : nullptr;
  return rc;
}

// The rest of the VFS is the wrapped one's, called with its own pointer.
int forward_delete(sqlite3_vfs* vfs, const char* name, int sync_dir) {
  return wrapped_vfs(vfs)->xDelete(wrapped_vfs(vfs), name, sync_dir);
}
int forward_access(sqlite3_vfs* vfs, const char* name, int flags, int* out) {
  return wrapped_vfs(vfs)->xAccess(wrapped_vfs(vfs), name, flags, out);
}
int forward_full_pathname(sqlite3_vfs* vfs, const char* name, int size, char* out) {
  return wrapped_vfs(vfs)->xFullPathname(wrapped_vfs(vfs), name, size, out);
}
void* forward_dl_open(sqlite3_vfs* vfs, const char* name) { return wrapped_vfs(vfs)->xDlOpen(wrapped_vfs(vfs), name); }
void forward_dl_error(sqlite3_vfs* vfs, int size, char* out) { wrapped_vfs(vfs)->xDlError(wrapped_vfs(vfs), size, out); }
void (*forward_dl_sym(sqlite3_vfs* vfs, void* handle, const char* symbol))(void) {
  return wrapped_vfs(vfs)->xDlSym(wrapped_vfs(vfs), handle, symbol);
}
void forward_dl_close(sqlite3_vfs* vfs, void* handle) { wrapped_vfs(vfs)->xDlClose(wrapped_vfs(vfs), handle); }
int forward_randomness(sqlite3_vfs* vfs, int size, char* out) {
  return wrapped_vfs(vfs)->xRandomness(wrapped_vfs(vfs), size, out);
}
int forward_sleep(sqlite3_vfs* vfs, int micros) { return wrapped_vfs(vfs)->xSleep(wrapped_vfs(vfs), micros); }
int forward_current_time(sqlite3_vfs* vfs, double* out) {
  return wrapped_vfs(vfs)->xCurrentTime(wrapped_vfs(vfs), out);
}
int forward_get_last_error(sqlite3_vfs* vfs, int size, char* out) {
  return wrapped_vfs(vfs)->xGetLastError(wrapped_vfs(vfs), size, out);
}
int forward_current_time_int64(sqlite3_vfs* vfs, sqlite3_int64* out) {
  return wrapped_vfs(vfs)->xCurrentTimeInt64(wrapped_vfs(vfs), out);
}
int forward_set_system_call(sqlite3_vfs* vfs, const char* name, sqlite3_syscall_ptr call) {
  return wrapped_vfs(vfs)->xSetSystemCall(wrapped_vfs(vfs), name, call);
}
sqlite3_syscall_ptr forward_get_system_call(sqlite3_vfs* vfs, const char* name) {
  return wrapped_vfs(vfs)->xGetSystemCall(wrapped_vfs(vfs), name);
}
const char* forward_next_system_call(sqlite3_vfs* vfs, const char* name) {
  return wrapped_vfs(vfs)->xNextSystemCall(wrapped_vfs(vfs), name);
}

constexpr const char* vfs_name = "parley-wal-write-buffer";

sqlite3_vfs* register_once() {
  if (sqlite3_initialize() != SQLITE_OK) return nullptr;
  sqlite3_vfs* wrapped = sqlite3_vfs_find(nullptr);
  if (wrapped == nullptr) return nullptr;
  // Lives for the process: SQLite keeps a pointer to it once registered.
  static sqlite3_vfs vfs{};
  vfs.iVersion = wrapped->iVersion < 3 ? wrapped->iVersion : 3;
  vfs.szOsFile = static_cast<int>(real_file_offset) + wrapped->szOsFile;
  vfs.mxPathname = wrapped->mxPathname;
  vfs.zName = vfs_name;
  vfs.pAppData = wrapped;
  vfs.xOpen = buffered_open;
  vfs.xDelete = forward_delete;
  vfs.xAccess = forward_access;
  vfs.xFullPathname = forward_full_pathname;
  vfs.xDlOpen = wrapped->xDlOpen ? forward_dl_open : nullptr;
  vfs.xDlError = wrapped->xDlError ? forward_dl_error : nullptr;
  vfs.xDlSym = wrapped->xDlSym ? forward_dl_sym : nullptr;
  vfs.xDlClose = wrapped->xDlClose ? forward_dl_close : nullptr;
  vfs.xRandomness = forward_randomness;
  vfs.xSleep = forward_sleep;
  vfs.xCurrentTime = forward_current_time;
  vfs.xGetLastError = wrapped->xGetLastError ? forward_get_last_error : nullptr;
  if (vfs.iVersion >= 2) vfs.xCurrentTimeInt64 = wrapped->xCurrentTimeInt64 ? forward_current_time_int64 : nullptr;
  if (vfs.iVersion >= 3) {
    vfs.xSetSystemCall = wrapped->xSetSystemCall ? forward_set_system_call : nullptr;
    vfs.xGetSystemCall = wrapped->xGetSystemCall ? forward_get_system_call : nullptr;
    vfs.xNextSystemCall = wrapped->xNextSystemCall ? forward_next_system_call : nullptr;
  }
  if (sqlite3_vfs_register(&vfs, 0) != SQLITE_OK) return nullptr;
  return &vfs;
}

}  // namespace

const char* wal_write_buffer_vfs() {
  static sqlite3_vfs* registered = register_once();  // thread-safe static initialization
  return registered != nullptr ? registered->zName : nullptr;
}

}  // namespace parley::store::sqlite
