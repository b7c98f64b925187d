#include "common/ids.hpp"

#include <charconv>
#include <chrono>
#include <stdexcept>

namespace parley {

namespace {
constexpr int time_shift = IdGenerator::node_bits + IdGenerator::sequence_bits;
constexpr std::int64_t sequence_mask = (std::int64_t{1} << IdGenerator::sequence_bits) - 1;
}  // namespace

IdGenerator::IdGenerator(int node_id, std::int64_t not_before_unix_ms) : node_id_(node_id) {
  if (node_id < 0 || node_id >= (1 << node_bits)) throw std::invalid_argument("node id out of range");
  if (not_before_unix_ms > epoch_ms) {
    // The last sequence number of that millisecond: the next id is in a later one.
    last_.store(((not_before_unix_ms - epoch_ms) << time_shift) | (node_id_ << sequence_bits) | sequence_mask);
  }
}

std::int64_t IdGenerator::last_unix_ms() const {
  const std::int64_t last = last_.load(std::memory_order_relaxed);
  return last == 0 ? 0 : (last >> time_shift) + epoch_ms;
}

Id IdGenerator::next() {
  using namespace std::chrono;
  const std::int64_t now =
      duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count() - epoch_ms;
  const std::int64_t floor = (now << time_shift) | (node_id_ << sequence_bits);
  std::int64_t prev = last_.load(std::memory_order_relaxed);
  for (;;) {
    // Same millisecond (or clock behind): take the next sequence number. A full
    // sequence borrows the next millisecond, never the node bits (which would
    // be another node's ids).
    std::int64_t candidate = floor;
    if (prev >= floor) {
      candidate = (prev & sequence_mask) == sequence_mask
                      ? (((prev >> time_shift) + 1) << time_shift) | (node_id_ << sequence_bits)
                      : prev + 1;
    }
    if (last_.compare_exchange_weak(prev, candidate, std::memory_order_relaxed)) return candidate;
  }
}

std::string id_to_string(Id id) { return std::to_string(id); }

std::optional<Id> parse_id(std::string_view text) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  for (char c : text)
    if (c < '0' || c > '9') return std::nullopt;
  Id value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || value <= 0) return std::nullopt;
  return value;
}

}  // namespace parley
