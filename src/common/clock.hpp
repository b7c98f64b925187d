#pragma once
// Time as milliseconds since the Unix epoch, behind an interface so tests can
// inject a fake. ISO 8601 formatting as the API renders it.
//
// Thread-safety: SystemClock is stateless; FakeClock is safe to read and advance
// from any thread.

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace parley {

using TimeMs = std::int64_t;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimeMs now_ms() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimeMs now_ms() const override;
  static const SystemClock& instance();
};

class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimeMs start = 1767225600000) : now_(start) {}
  TimeMs now_ms() const override { return now_.load(); }
  void advance(TimeMs delta) { now_ += delta; }
  void set(TimeMs t) { now_ = t; }

 private:
  std::atomic<TimeMs> now_;
};

// "2026-11-28T02:25:30.123Z"
std::string format_iso8601(TimeMs t);
// Parses the exact form format_iso8601 produces.
std::optional<TimeMs> parse_iso8601(std::string_view text);

}  // namespace parley
