#pragma once
// Process-wide logging set-up: the default logger and the "access" logger, in
// text or JSON lines, on stderr. A line written while the thread works for a
// traced request or message (common/trace_context.hpp) carries its trace id:
// " trace_id=<32 hex>" at the end in text, a "trace_id" field in JSON.
//
// Thread-safety: call once at start-up, before any other thread logs.

#include <memory>
#include <string>

namespace spdlog {
class logger;
}

namespace parley::app {

// Returns the access logger (one line per HTTP request).
std::shared_ptr<spdlog::logger> setup_logging(const std::string& level, const std::string& format);

}  // namespace parley::app
