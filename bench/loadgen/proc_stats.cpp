#include "proc_stats.hpp"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/resource.h>
#include <unistd.h>

namespace parley::bench {

namespace {

std::uint64_t status_field_kib(int pid, const char* field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  const std::size_t n = std::strlen(field);
  while (std::getline(in, line)) {
    if (line.compare(0, n, field) == 0 && line.size() > n && line[n] == ':') {
      return std::stoull(line.substr(n + 1));
    }
  }
  return 0;
}

}  // namespace

std::uint64_t rss_kib(int pid) { return pid > 0 ? status_field_kib(pid, "VmRSS") : 0; }
std::uint64_t peak_rss_kib(int pid) { return pid > 0 ? status_field_kib(pid, "VmHWM") : 0; }
int process_threads(int pid) { return pid > 0 ? static_cast<int>(status_field_kib(pid, "Threads")) : 0; }

double process_cpu_seconds(int pid) {
  if (pid <= 0) return -1;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  std::getline(in, text);
  // The command name may hold spaces: fields are counted after its closing parenthesis.
  const auto close = text.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream fields(text.substr(close + 2));
  std::string skip;
  for (int i = 3; i <= 13; ++i) fields >> skip;  // state .. cmajflt
  unsigned long long utime = 0, stime = 0;
  fields >> utime >> stime;
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

MachineTimes machine_times() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  unsigned long long v[10] = {};
  in >> cpu;
  for (auto& x : v) in >> x;
  const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  unsigned long long total = 0;
  for (int i = 0; i < 8; ++i) total += v[i];  // guest time is already in user
  const unsigned long long idle = v[3] + v[4];
  return MachineTimes{static_cast<double>(total - idle) / tick, static_cast<double>(total) / tick};
}

double self_cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto secs = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6; };
  return secs(ru.ru_utime) + secs(ru.ru_stime);
}

}  // namespace parley::bench
