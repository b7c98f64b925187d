#pragma once
// The standard process metrics every Prometheus client exposes
// (process_cpu_seconds_total, process_resident_memory_bytes,
// process_virtual_memory_bytes, process_open_fds, process_max_fds,
// process_start_time_seconds), read from /proc/self at each scrape, and
// parley_build_info{version} 1.
//
// Thread-safety: register at start-up; the callbacks read /proc from whatever
// thread renders. On a system without /proc the values read 0.

#include <string>

#include "metrics/registry.hpp"

namespace parley::metrics {

void register_process_metrics(Registry& registry);
void register_build_info(Registry& registry, const std::string& version);

// What /proc/self/stat and /proc/self/fd say, for the callbacks and tests.
struct ProcessSample {
  double cpu_seconds = 0;     // user + system
  double resident_bytes = 0;
  double virtual_bytes = 0;
  double start_time_seconds = 0;  // since the Unix epoch
  double open_fds = 0;
  double max_fds = 0;             // the soft RLIMIT_NOFILE
};
ProcessSample sample_process();

}  // namespace parley::metrics
