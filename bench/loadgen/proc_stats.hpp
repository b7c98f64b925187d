#pragma once
// Readings from /proc and getrusage: the server's resident memory and CPU time, the
// machine's busy time, and the generator's own CPU time (so that a run where the
// generator, not the server, was the bottleneck shows in the results).

#include <cstdint>

namespace parley::bench {

// VmRSS of `pid` in KiB; 0 if unreadable.
std::uint64_t rss_kib(int pid);
// VmHWM (peak RSS) of `pid` in KiB; 0 if unreadable.
std::uint64_t peak_rss_kib(int pid);
// User + system CPU seconds used by `pid` (all its threads) so far; -1 if unreadable.
double process_cpu_seconds(int pid);
// Threads of `pid`; 0 if unreadable.
int process_threads(int pid);

struct MachineTimes {
  double busy_s = 0;   // all CPUs, seconds not idle or iowait
  double total_s = 0;  // all CPUs
};
MachineTimes machine_times();

// This process's user + system CPU seconds (RUSAGE_SELF).
double self_cpu_seconds();

}  // namespace parley::bench
