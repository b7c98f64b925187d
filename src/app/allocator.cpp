#include "app/allocator.hpp"

#include <dlfcn.h>
#include <malloc.h>

#include <cstdlib>

namespace parley::app {

namespace {

using Mallctl = int (*)(const char*, void*, std::size_t*, void*, std::size_t);

// Looked up at run time rather than linked against: the same code serves the
// builds without jemalloc, and a jemalloc brought in by LD_PRELOAD is seen too.
Mallctl find_jemalloc() { return reinterpret_cast<Mallctl>(dlsym(RTLD_DEFAULT, "mallctl")); }

// glibc gives each thread that allocates its own malloc arena (up to 8 per
// core), and memory freed into one arena is not reused by another: with the
// worker pool, the writer and the IO threads, idle RSS grew by ≈ 0.2 KiB per
// connection in arenas (bench/analysis.md). Two arenas suffice on the machines
// Parley targets. MALLOC_ARENA_MAX in the environment still wins.
void limit_glibc_arenas() {
  if (std::getenv("MALLOC_ARENA_MAX") == nullptr) mallopt(M_ARENA_MAX, 2);
}

}  // namespace

std::string configure_allocator() {
  if (Mallctl mallctl = find_jemalloc(); mallctl != nullptr) {
    const char* version = nullptr;
    std::size_t size = sizeof(version);
    if (mallctl("version", &version, &size, nullptr, 0) == 0 && version != nullptr) {
      return std::string("jemalloc ") + version;
    }
    return "jemalloc";
  }
  limit_glibc_arenas();
  return "glibc malloc";
}

}  // namespace parley::app
