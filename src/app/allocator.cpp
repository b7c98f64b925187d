#include "app/allocator.hpp"

#include <dlfcn.h>
#include <malloc.h>

#include <cstdlib>

// jemalloc reads this string at its first allocation, before main(); a
// MALLOC_CONF in the environment is read after it and wins, option by option.
// Defined whether or not jemalloc is linked: glibc's malloc never reads it.
//
// - background_thread: purging runs on jemalloc's own thread. Without it, freed
//   pages are only returned during later allocator calls, and an idle server
//   makes none: after a connection storm (10,000 handshakes at once) RSS stayed
//   ≈ 7 KiB per handshake above the steady state for as long as the server was
//   idle (docs/operations.md, "Memory").
// - dirty_decay_ms: pages freed by a burst go back to the kernel within ≈ 1 s
//   rather than jemalloc's 10 s default; muzzy_decay_ms 0 skips the second,
//   lazily-freed stage, so RSS reflects what the server holds.
// - narenas is left at jemalloc's default (4 per core): with 4 instead of 8 on
//   2 cores the storm-then-idle figure did not change (1.88 vs 1.80 KiB per
//   connection, within run-to-run noise), so there was nothing to trade for it.
extern "C" {
// NOLINTNEXTLINE(cppcoreguidelines-avoid-non-const-global-variables): jemalloc's interface.
__attribute__((used, visibility("default"))) const char* malloc_conf =
    "background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0";
}

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

// The settings jemalloc actually runs with (malloc_conf above, as amended by
// MALLOC_CONF), for the start-up log: a jemalloc built without background
// threads, or an environment that turned them off, shows here.
std::string jemalloc_settings(Mallctl mallctl) {
  bool background = false;
  std::size_t size = sizeof(background);
  std::string out;
  if (mallctl("background_thread", &background, &size, nullptr, 0) == 0) {
    out += background ? ", background purging" : ", no background purging";
  }
  ssize_t decay = 0;
  size = sizeof(decay);
  if (mallctl("arenas.dirty_decay_ms", &decay, &size, nullptr, 0) == 0) {
    out += ", dirty decay " + std::to_string(decay) + " ms";
  }
  unsigned arenas = 0;
  size = sizeof(arenas);
  if (mallctl("opt.narenas", &arenas, &size, nullptr, 0) == 0) out += ", " + std::to_string(arenas) + " arenas";
  return out;
}

}  // namespace

std::string configure_allocator() {
  if (Mallctl mallctl = find_jemalloc(); mallctl != nullptr) {
    const char* version = nullptr;
    std::size_t size = sizeof(version);
    std::string name = "jemalloc";
    if (mallctl("version", &version, &size, nullptr, 0) == 0 && version != nullptr) name += std::string(" ") + version;
    return name + jemalloc_settings(mallctl);
  }
  limit_glibc_arenas();
  return "glibc malloc";
}

}  // namespace parley::app
