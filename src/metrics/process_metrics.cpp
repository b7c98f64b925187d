#include "metrics/process_metrics.hpp"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace parley::metrics {

namespace {

// The boot time in seconds since the epoch ("btime" of /proc/stat): stat's
// starttime counts clock ticks since boot.
double boot_time_seconds() {
  std::ifstream in("/proc/stat");
  std::string key;
  while (in >> key) {
    if (key == "btime") {
      double value = 0;
      in >> value;
      return value;
    }
    in.ignore(1 << 20, '\n');
  }
  return 0;
}

void read_stat(ProcessSample& s) {
  std::ifstream in("/proc/self/stat");
  std::string line;
  if (!std::getline(in, line)) return;
  // The command name (field 2) is in parentheses and may hold spaces: fields
  // are counted from the last ')'.
  const auto close = line.rfind(')');
  if (close == std::string::npos) return;
  std::istringstream fields(line.substr(close + 2));
  std::string field;
  // Field 3 is the state; utime is 14, stime 15, starttime 22, vsize 23, rss 24.
  double utime = 0, stime = 0, starttime = 0, vsize = 0, rss = 0;
  for (int index = 3; fields >> field; ++index) {
    const double value = std::strtod(field.c_str(), nullptr);
    if (index == 14) utime = value;
    if (index == 15) stime = value;
    if (index == 22) starttime = value;
    if (index == 23) vsize = value;
    if (index == 24) {
      rss = value;
      break;
    }
  }
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
  s.cpu_seconds = (utime + stime) / ticks;
  s.virtual_bytes = vsize;
  s.resident_bytes = rss * page;
  static const double boot = boot_time_seconds();
  s.start_time_seconds = boot + starttime / ticks;
}

double count_open_fds() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (!dir) return 0;
  double n = 0;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] != '.') ++n;
  }
  ::closedir(dir);
  return n - 1;  // the descriptor of the listing itself
}

double max_fds() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return 0;
  return static_cast<double>(limit.rlim_cur);
}

// Each callback reads only what it shows: the fd listing is the costly one
// (one entry per connection).
ProcessSample stat_only() {
  ProcessSample s;
  read_stat(s);
  return s;
}

}  // namespace

ProcessSample sample_process() {
  ProcessSample s;
  read_stat(s);
  s.open_fds = count_open_fds();
  s.max_fds = max_fds();
  return s;
}

void register_process_metrics(Registry& registry) {
  registry.add_callback_counter("process_cpu_seconds_total", "Total user and system CPU time spent in seconds",
                                [] { return stat_only().cpu_seconds; });
  registry.add_callback_gauge("process_resident_memory_bytes", "Resident memory size in bytes",
                              [] { return stat_only().resident_bytes; });
  registry.add_callback_gauge("process_virtual_memory_bytes", "Virtual memory size in bytes",
                              [] { return stat_only().virtual_bytes; });
  registry.add_callback_gauge("process_open_fds", "Number of open file descriptors",
                              count_open_fds);
  registry.add_callback_gauge("process_max_fds", "Maximum number of open file descriptors (soft limit)",
                              max_fds);
  registry.add_callback_gauge("process_start_time_seconds", "Start time of the process since the Unix epoch in seconds",
                              [] { return stat_only().start_time_seconds; });
}

void register_build_info(Registry& registry, const std::string& version) {
  registry.add_callback_gauge("parley_build_info", "Always 1; the labels say which build runs", [] { return 1.0; },
                              label("version", version));
}

}  // namespace parley::metrics
