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

// %Q in a pattern: the message, escaped for a JSON string (a log message may
// quote a name or hold an error text from a library).
class JsonMessageFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    static constexpr char kHex[] = "0123456789abcdef";
    for (const char c : msg.payload) {
      const auto byte = static_cast<unsigned char>(c);
      if (c == '"' || c == '\\') {
        dest.push_back('\\');
        dest.push_back(c);
      } else if (byte < 0x20) {
        const char escaped[] = {'\\', 'u', '0', '0', kHex[byte >> 4], kHex[byte & 0xf]};
        dest.append(escaped, escaped + sizeof escaped);
      } else {
        dest.push_back(c);
      }
    }
  }
  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<JsonMessageFlag>(); }
};

void set_pattern(spdlog::logger& logger, const std::string& pattern, bool json) {
  auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  formatter->add_flag<TraceIdFlag>('*', json).add_flag<JsonMessageFlag>('Q').set_pattern(pattern);
  logger.set_formatter(std::move(formatter));
}

}  // namespace

std::shared_ptr<spdlog::logger> setup_logging(const std::string& level, const std::string& format) {
  // One sink each: a logger's pattern is set on its sinks.
  auto main_logger = std::make_shared<spdlog::logger>("parley", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  auto access = std::make_shared<spdlog::logger>("access", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  if (format == "json") {
    // The message is escaped (%Q): every line is valid JSON whatever it says.
    // trace_id (when the line is written for a traced request or message) before msg.
    set_pattern(*main_logger, R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","logger":"%n"%*,"msg":"%Q"})", true);
    set_pattern(*access, R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","logger":"access"%*,"msg":"%Q"})", true);
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
