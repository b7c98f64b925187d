#pragma once
// W3C Trace Context (https://www.w3.org/TR/trace-context/) as far as Parley
// uses it: a `traceparent` is parsed strictly, a new one is made when there is
// none or it is invalid, and the trace id follows an HTTP request or a message
// through its stages, into every log line written for it (app/logging.cpp reads
// the current trace of the thread) and into the slow-operation log.
//
// Nothing is exported (no OTLP): the logs are the record (docs/operations.md).
//
// Cost: ids are plain 16- and 8-byte values, copied along with a send; a new id
// is two draws of a thread-local generator. No allocation, no lock.
//
// Thread-safety: values; the free functions may be called from any thread
// (the generator and the current trace are thread-local). The slow threshold
// is an atomic set once at start-up.

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace parley::trace {

struct TraceId {
  std::array<std::uint8_t, 16> bytes{};
  // All zero is "no trace" (and invalid on the wire).
  bool valid() const;
  std::string hex() const;  // 32 lowercase hex digits
  // Writes the 32 hex digits at `out` (no terminator).
  void write_hex(char* out) const;
  friend bool operator==(const TraceId&, const TraceId&) = default;
};

struct SpanId {
  std::array<std::uint8_t, 8> bytes{};
  bool valid() const;
  std::string hex() const;  // 16 lowercase hex digits
  friend bool operator==(const SpanId&, const SpanId&) = default;
};

// What a `traceparent` header carries.
struct TraceParent {
  std::uint8_t version = 0;
  TraceId trace_id;
  SpanId parent_id;
  std::uint8_t flags = 0;
};

// Strict parse: lowercase hex only; version ff is invalid; version 00 is exactly
// 55 characters; a later version may be longer, with a '-' after the flags, and
// is read as version 00 (the spec's rule for future versions). Trace and parent
// ids must not be all zero. nullopt when invalid.
std::optional<TraceParent> parse_traceparent(std::string_view text);

// A bare trace id: 32 lowercase hex digits, not all zero (as in a traceparent).
std::optional<TraceId> parse_trace_id(std::string_view text);

// This server's part of a trace: the trace id (continued or new), the span id
// of this hop (new), and the flags passed on (the sampled bit only).
struct TraceContext {
  TraceId trace_id;
  SpanId span_id;
  std::uint8_t flags = 0;
  bool valid() const { return trace_id.valid(); }
};

TraceId new_trace_id();
SpanId new_span_id();
// Continues `header` when it parses, else starts a new trace (sampled bit clear).
TraceContext continue_or_start(std::optional<std::string_view> header);
// "00-<trace id>-<span id>-<flags>", for a response or a downstream call.
std::string format_traceparent(const TraceContext& context);

// The trace the calling thread is working for, if any (for log lines).
const TraceId* current_trace();

// Sets the calling thread's current trace for its lifetime, then restores the
// previous one. An invalid id clears it. Not movable: a scope on one thread.
class TraceScope {
 public:
  explicit TraceScope(const TraceId& id);
  ~TraceScope();
  TraceScope(const TraceScope&) = delete;
  TraceScope& operator=(const TraceScope&) = delete;

 private:
  TraceId previous_;
  bool had_previous_;
};

// ---- slow-operation log

// Milliseconds above which an operation is logged once at warn with its
// stages; 0 turns it off. Default 200 (`--slow-ms`).
void set_slow_threshold_ms(std::int64_t ms);
std::int64_t slow_threshold_ms();

// A small record of an operation's stages, carried with it (by value: no
// allocation). mark(name) closes the stage that ran since the previous mark.
// Names must be string literals (only the pointer is kept). At most kMaxStages
// stages; later marks fold into the last one.
class StageTimer {
 public:
  static constexpr int kMaxStages = 8;
  using Clock = std::chrono::steady_clock;

  StageTimer() = default;
  // Starts now.
  static StageTimer start();
  // Starts at a given moment (an HTTP request: when its head arrived).
  static StageTimer start_at(Clock::time_point at);

  bool started() const { return start_ != Clock::time_point{}; }
  void mark(const char* stage);
  void mark_at(const char* stage, Clock::time_point at);
  std::chrono::microseconds total() const;
  // True when the threshold is on and total() is above it.
  bool slow() const;
  // "total=250.1ms rate_limit=0.0ms members=0.1ms ..."
  std::string describe() const;

 private:
  Clock::time_point start_{};
  Clock::time_point last_{};
  std::array<const char*, kMaxStages> names_{};
  std::array<std::int64_t, kMaxStages> micros_{};
  int count_ = 0;
};

}  // namespace parley::trace
