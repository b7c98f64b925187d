#include "common/trace_context.hpp"

#include <fmt/format.h>
#include <atomic>
#include <random>
#include <thread>

namespace parley::trace {

namespace {

constexpr char kHex[] = "0123456789abcdef";

template <std::size_t N>
bool any_set(const std::array<std::uint8_t, N>& bytes) {
  for (auto b : bytes)
    if (b != 0) return true;
  return false;
}

template <std::size_t N>
void to_hex(const std::array<std::uint8_t, N>& bytes, char* out) {
  for (std::size_t i = 0; i < N; ++i) {
    out[2 * i] = kHex[bytes[i] >> 4];
    out[2 * i + 1] = kHex[bytes[i] & 0xf];
  }
}

// Lowercase only: the spec's HEXDIGLC; uppercase is invalid.
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

bool parse_hex(std::string_view text, std::uint8_t* out, std::size_t bytes) {
  if (text.size() != 2 * bytes) return false;
  for (std::size_t i = 0; i < bytes; ++i) {
    const int high = hex_value(text[2 * i]);
    const int low = hex_value(text[2 * i + 1]);
    if (high < 0 || low < 0) return false;
    out[i] = static_cast<std::uint8_t>(high << 4 | low);
  }
  return true;
}

std::mt19937_64& generator() {
  // Seeded per thread from the OS; trace ids need to be unlikely to collide,
  // not secret.
  thread_local std::mt19937_64 engine([] {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device(),
                       static_cast<unsigned>(std::hash<std::thread::id>{}(std::this_thread::get_id()))};
    return std::mt19937_64(seed);
  }());
  return engine;
}

template <std::size_t N>
void fill_random(std::array<std::uint8_t, N>& bytes) {
  do {
    for (std::size_t i = 0; i < N; i += 8) {
      std::uint64_t word = generator()();
      for (std::size_t j = 0; j < 8 && i + j < N; ++j) bytes[i + j] = static_cast<std::uint8_t>(word >> (8 * j));
    }
  } while (!any_set(bytes));
}

thread_local TraceId current_id;
thread_local bool has_current = false;

std::atomic<std::int64_t> slow_ms{200};

}  // namespace

bool TraceId::valid() const { return any_set(bytes); }
void TraceId::write_hex(char* out) const { to_hex(bytes, out); }
std::string TraceId::hex() const {
  std::string text(32, '0');
  to_hex(bytes, text.data());
  return text;
}

bool SpanId::valid() const { return any_set(bytes); }
std::string SpanId::hex() const {
  std::string text(16, '0');
  to_hex(bytes, text.data());
  return text;
}

std::optional<TraceParent> parse_traceparent(std::string_view text) {
  // version "-" trace-id "-" parent-id "-" trace-flags: 2+1+32+1+16+1+2 = 55.
  constexpr std::size_t kLength = 55;
  if (text.size() < kLength) return std::nullopt;
  TraceParent parsed;
  if (!parse_hex(text.substr(0, 2), &parsed.version, 1)) return std::nullopt;
  if (parsed.version == 0xff) return std::nullopt;
  if (parsed.version == 0 && text.size() != kLength) return std::nullopt;
  // A later version may append fields, after a '-'.
  if (text.size() > kLength && text[kLength] != '-') return std::nullopt;
  if (text[2] != '-' || text[35] != '-' || text[52] != '-') return std::nullopt;
  if (!parse_hex(text.substr(3, 32), parsed.trace_id.bytes.data(), 16)) return std::nullopt;
  if (!parse_hex(text.substr(36, 16), parsed.parent_id.bytes.data(), 8)) return std::nullopt;
  if (!parse_hex(text.substr(53, 2), &parsed.flags, 1)) return std::nullopt;
  if (!parsed.trace_id.valid() || !parsed.parent_id.valid()) return std::nullopt;
  return parsed;
}

std::optional<TraceId> parse_trace_id(std::string_view text) {
  TraceId id;
  if (!parse_hex(text, id.bytes.data(), 16) || !id.valid()) return std::nullopt;
  return id;
}

TraceId new_trace_id() {
  TraceId id;
  fill_random(id.bytes);
  return id;
}

SpanId new_span_id() {
  SpanId id;
  fill_random(id.bytes);
  return id;
}

TraceContext continue_or_start(std::optional<std::string_view> header) {
  TraceContext context;
  if (header) {
    if (auto parent = parse_traceparent(*header)) {
      context.trace_id = parent->trace_id;
      // Only the sampled bit is defined (for version 00 and as read from a later one).
      context.flags = parent->flags & 0x01;
    }
  }
  if (!context.trace_id.valid()) context.trace_id = new_trace_id();
  context.span_id = new_span_id();
  return context;
}

std::string format_traceparent(const TraceContext& context) {
  std::string text = "00-";
  text += context.trace_id.hex();
  text += '-';
  text += context.span_id.hex();
  text += '-';
  text += kHex[context.flags >> 4];
  text += kHex[context.flags & 0xf];
  return text;
}

const TraceId* current_trace() { return has_current ? &current_id : nullptr; }

TraceScope::TraceScope(const TraceId& id) : previous_(current_id), had_previous_(has_current) {
  current_id = id;
  has_current = id.valid();
}

TraceScope::~TraceScope() {
  current_id = previous_;
  has_current = had_previous_;
}

void set_slow_threshold_ms(std::int64_t ms) { slow_ms.store(ms < 0 ? 0 : ms, std::memory_order_relaxed); }
std::int64_t slow_threshold_ms() { return slow_ms.load(std::memory_order_relaxed); }

StageTimer StageTimer::start() { return start_at(Clock::now()); }

StageTimer StageTimer::start_at(Clock::time_point at) {
  StageTimer timer;
  timer.start_ = at;
  timer.last_ = at;
  return timer;
}

void StageTimer::mark(const char* stage) { mark_at(stage, Clock::now()); }

void StageTimer::mark_at(const char* stage, Clock::time_point at) {
  if (!started()) return;
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(at - last_).count();
  last_ = at;
  if (count_ < kMaxStages) {
    names_[count_] = stage;
    micros_[count_] = micros;
    ++count_;
  } else {
    micros_[kMaxStages - 1] += micros;
  }
}

std::chrono::microseconds StageTimer::total() const {
  return std::chrono::duration_cast<std::chrono::microseconds>(last_ - start_);
}

bool StageTimer::slow() const {
  const auto threshold = slow_threshold_ms();
  return started() && threshold > 0 && total() > std::chrono::milliseconds(threshold);
}

std::string StageTimer::describe() const {
  std::string text = fmt::format("total={:.1f}ms", total().count() / 1000.0);
  for (int i = 0; i < count_; ++i) text += fmt::format(" {}={:.1f}ms", names_[i], micros_[i] / 1000.0);
  return text;
}

}  // namespace parley::trace
