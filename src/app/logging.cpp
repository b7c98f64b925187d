#include "app/logging.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace parley::app {

std::shared_ptr<spdlog::logger> setup_logging(const std::string& level, const std::string& format) {
  // One sink each: a logger's pattern is set on its sinks.
  auto main_logger = std::make_shared<spdlog::logger>("parley", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  auto access = std::make_shared<spdlog::logger>("access", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  if (format == "json") {
    // The message is the last field so that it can hold anything; quotes in it
    // are the caller's to avoid (log messages here are our own text).
    main_logger->set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","logger":"%n","msg":"%v"})",
                             spdlog::pattern_time_type::utc);
    access->set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","logger":"access","msg":"%v"})",
                        spdlog::pattern_time_type::utc);
  } else {
    main_logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v", spdlog::pattern_time_type::utc);
    access->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ access %v", spdlog::pattern_time_type::utc);
  }
  const auto parsed = spdlog::level::from_str(level);
  main_logger->set_level(parsed);
  access->set_level(parsed);
  spdlog::set_default_logger(main_logger);
  spdlog::register_logger(access);
  return access;
}

}  // namespace parley::app
