#include "common/ids.hpp"

#include <charconv>
#include <chrono>
#include <stdexcept>

namespace parley {

IdGenerator::IdGenerator(int node_id) : node_id_(node_id) {
  if (node_id < 0 || node_id >= (1 << node_bits)) throw std::invalid_argument("node id out of range");
}

Id IdGenerator::next() {
  using namespace std::chrono;
  const std::int64_t now =
      duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count() - epoch_ms;
  const std::int64_t floor = (now << (node_bits + sequence_bits)) | (node_id_ << sequence_bits);
  std::int64_t prev = last_.load(std::memory_order_relaxed);
  for (;;) {
    // Same millisecond (or clock behind): take the next sequence number; the
    // sequence overflowing simply borrows from the next millisecond.
    std::int64_t candidate = prev >= floor ? prev + 1 : floor;
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
