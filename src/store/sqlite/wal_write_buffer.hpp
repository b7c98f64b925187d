#pragma once
// WAL write buffer: a SQLite VFS that wraps another one and gathers the writes
// SQLite makes to a WAL file into one buffer, written with one pwrite when the
// WAL is synced (or read, truncated, sized, closed, or when the buffer is full
// or the next write is not contiguous).
//
// Why: SQLite writes every WAL frame with two pwrite calls (a 24-byte header,
// then the page). A group commit of a few hundred appends writes a few hundred
// frames, so the writer thread spent a quarter of its time entering the kernel
// and looking up page-cache folios for 4 KiB at a time (bench/analysis.md,
// "WAL write buffer"). One contiguous write per commit does the same work in
// far fewer, larger copies.
//
// Durability is unchanged, and depends on one rule: the VFS may only be used by
// connections that run with PRAGMA synchronous = FULL (or EXTRA). Then SQLite
// syncs the WAL at every commit BEFORE it publishes the new frames in the
// wal-index, and the sync writes the buffer first: no reader, in this process
// or another, can see a committed frame that is not in the file. With
// synchronous = NORMAL a commit publishes frames without syncing; they would
// still be in this buffer, so such a connection must not use this VFS
// (open_sqlite_store only uses it when synchronous_full is set).
// Frames of a transaction that is still open (a cache spill) are visible to the
// writing connection only, which reads them through this same file: a read that
// overlaps the buffer writes it first.
//
// Files other than WAL files (the database, journals) pass straight through.
//
// Thread-safety: register_wal_write_buffer_vfs() is safe from any thread and
// registers once. Each open file is used by one connection, and SQLite
// serializes the calls on one connection, as for any VFS.

namespace parley::store::sqlite {

// The name to pass to sqlite3_open_v2 (Connection::open's `vfs`): the process's
// default VFS wrapped as above. Registered (not as the default) on first call.
// Null if registration failed (out of memory), in which case callers use the
// default VFS.
const char* wal_write_buffer_vfs();

// Bytes gathered before a write is forced (a larger WAL write passes straight
// through). The unix VFS writes at most 128 KiB - 1 per call (it masks the
// length with 0x1ffff, and reports a longer write as SQLITE_FULL), so one buffer
// is one write call: 16 frames of 4 KiB per pwrite instead of 32 calls.
inline constexpr int wal_write_buffer_bytes = 64 * 1024;

}  // namespace parley::store::sqlite
