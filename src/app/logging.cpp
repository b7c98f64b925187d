#include "app/logging.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "common/trace_context.hpp"

namespace parley::app {

namespace {

// %* in a pattern: the calling thread's current trace id, if it has one
// (trace_context.hpp), as " trace_id=<hex>" in text or ,"trace_id":"<hex>" in JSON.
class TraceIdFlag final : public spdlog::custom_flag_formatter {
 public:
  explicit TraceIdFlag(bool json) : json_(json) {}
  void format(const spdlog::details::log_msg&, const std::tm&, spdlog::memory_buf_t& dest) override {
    const auto* id = trace::current_trace();
    if (!id) return;
    char hex[32];
    id->write_hex(hex);
    const std::string_view prefix = json_ ? R"(,"trace_id":")" : " trace_id=";
    dest.append(prefix.data(), prefix.data() + prefix.size());
    dest.append(hex, hex + sizeof hex);
    if (json_) dest.push_back('"');
  }
  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<TraceIdFlag>(json_); }

 private:
  bool json_;
};

void set_pattern(spdlog::logger& logger, const std::string& pattern, bool json) {
  auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  formatter->add_flag<TraceIdFlag>('*', json).set_pattern(pattern);
  logger.set_formatter(std::move(formatter));
}

}  // namespace

std::shared_ptr<spdlog::logger> setup_logging(const std::string& level, const std::string& format) {
  // One sink each: a logger's pattern is set on its sinks.
  auto main_logger = std::make_shared<spdlog::logger>("parley", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  auto access = std::make_shared<spdlog::logger>("access", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  if (format == "json") {
    // The message is the last field so that it can hold anything; quotes in it
    // are the caller's to avoid (log messages here are our own text).
    // trace_id (when the line is written for a traced request or message) before msg.
    set_pattern(*main_logger, R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","logger":"%n"%*,"msg":"%v"})", true);
    set_pattern(*access, R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","logger":"access"%*,"msg":"%v"})", true);
  } else {
    set_pattern(*main_logger, "%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v%*", false);
    set_pattern(*access, "%Y-%m-%dT%H:%M:%S.%eZ access %v%*", false);
  }
  const auto parsed = spdlog::level::from_str(level);
  main_logger->set_level(parsed);
  access->set_level(parsed);
  spdlog::set_default_logger(main_logger);
  spdlog::register_logger(access);
  return access;
}

}  // namespace parley::app
