#pragma once
// Process-wide logging set-up: the default logger and the "access" logger, in
// text or JSON lines, on stderr.
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
