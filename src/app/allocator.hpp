#pragma once
// The process's malloc: which one it is, and its set-up.
//
// The release build links jemalloc (CMake option PARLEY_JEMALLOC; the
// sanitizer and fuzz builds keep their own allocators). With glibc's malloc,
// the group-commit writer freeing what the IO threads allocated (and the
// reverse) made them queue on the arena locks: jemalloc's per-thread caches
// gave the persisted-send path +35% and fan-out +18% on the benchmark machine
// (bench/analysis.md, "Allocator"). The binary sets jemalloc's options itself
// (malloc_conf in allocator.cpp: background purging, 1 s decay) so
// that memory a connection storm no longer needs goes back to the kernel while
// the server is idle; MALLOC_CONF in the environment overrides them.
//
// Thread-safety: call configure_allocator() once, before any thread starts.

#include <string>

namespace parley::app {

// Applies the settings for the allocator in use and returns its name and
// version and settings for the start-up log ("jemalloc 5.3.0-0-g…, background
// purging, dirty decay 1000 ms, 8 arenas", "glibc malloc").
std::string configure_allocator();

}  // namespace parley::app
