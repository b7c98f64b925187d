#pragma once
// Ids: 64-bit, time-ordered, unique across nodes ("snowflake"): 41 bits of
// milliseconds since 2026-01-01T00:00:00Z, 10 bits of node id, 12 bits of sequence.
// They travel as decimal strings, never JSON numbers (JavaScript loses precision
// above 2^53).
//
// Thread-safety: IdGenerator::next() may be called from any thread.

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace parley {

using Id = std::int64_t;

class IdGenerator {
 public:
  static constexpr std::int64_t epoch_ms = 1767225600000;  // 2026-01-01T00:00:00Z
  static constexpr int node_bits = 10;
  static constexpr int sequence_bits = 12;

  // REQUIRES: 0 <= node_id < 1024.
  // `not_before_unix_ms`: ids carry a later millisecond than this, whatever the
  // wall clock says. A node that takes over a node id from a lease (another
  // host, whose clock may be ahead) passes the last millisecond that holder may
  // have used, so that the two never issue the same id.
  explicit IdGenerator(int node_id = 0, std::int64_t not_before_unix_ms = 0);

  int node_id() const { return static_cast<int>(node_id_); }
  // The millisecond (Unix time) of the latest id handed out, or of the floor
  // given at construction: what a lease reports as used.
  std::int64_t last_unix_ms() const;

  // A new id, strictly greater than every id this generator returned before,
  // even if the wall clock steps backwards.
  Id next();

 private:
  const std::int64_t node_id_;
  std::atomic<std::int64_t> last_{0};  // last id handed out
};

std::string id_to_string(Id id);
// Strict: decimal digits only, no sign, no leading '+', fits in a positive int64.
std::optional<Id> parse_id(std::string_view text);

}  // namespace parley
