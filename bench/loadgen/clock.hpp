#pragma once
// The one clock of the generator: CLOCK_MONOTONIC in nanoseconds. Every worker process
// on the machine reads the same clock, so a timestamp written into a message by one
// process can be compared with the receive time in another.

#include <cstdint>
#include <ctime>

namespace parley::bench {

inline std::uint64_t now_ns() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<std::uint64_t>(ts.tv_nsec);
}

inline constexpr std::uint64_t kNsPerMs = 1'000'000ull;
inline constexpr std::uint64_t kNsPerSec = 1'000'000'000ull;

inline double ns_to_seconds(std::uint64_t ns) noexcept { return static_cast<double>(ns) / 1e9; }

}  // namespace parley::bench
