#pragma once
// Raising the open-files limit: every real-time connection holds a socket, and the soft
// limit (often 1024) is far below what the machine allows (the hard limit).
//
// Thread-safety: call once at start-up, before the IO threads run.

#include <cstdint>

namespace parley::realtime {

struct FileLimit {
  std::uint64_t before = 0;
  std::uint64_t after = 0;
  bool raised = false;
};

// Raises RLIMIT_NOFILE's soft limit to its hard limit. Never fails loudly: on error the
// limit stays as it was (reported in the result).
FileLimit raise_open_files_limit() noexcept;

}  // namespace parley::realtime
