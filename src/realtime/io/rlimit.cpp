#include "realtime/io/rlimit.hpp"

#include <sys/resource.h>

namespace parley::realtime {

FileLimit raise_open_files_limit() noexcept {
  FileLimit result;
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return result;
  result.before = result.after = limit.rlim_cur;
  if (limit.rlim_cur == limit.rlim_max) return result;
  limit.rlim_cur = limit.rlim_max;
  if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) return result;
  result.after = limit.rlim_cur;
  result.raised = true;
  return result;
}

}  // namespace parley::realtime
