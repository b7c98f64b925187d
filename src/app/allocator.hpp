#pragma once
// The process's malloc: which one it is, and its set-up.
//
// The release build links jemalloc (CMake option PARLEY_JEMALLOC; the
// sanitizer and fuzz builds keep their own allocators). With glibc's malloc,
// the group-commit writer freeing what the IO threads allocated (and the
// reverse) made them queue on the arena locks: jemalloc's per-thread caches
// gave the persisted-send path +35% and fan-out +18% on the benchmark machine
// (bench/analysis.md, "Allocator").
//
// Thread-safety: call configure_allocator() once, before any thread starts.

#include <string>

namespace parley::app {

// Applies the settings for the allocator in use and returns its name and
// version for the start-up log ("jemalloc 5.3.0-0-g…", "glibc malloc").
std::string configure_allocator();

}  // namespace parley::app
