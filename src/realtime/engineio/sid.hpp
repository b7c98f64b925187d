#pragma once
// Session ids. A sid names its owning IO thread and a random 64-bit key:
//   base64url(thread index byte, 8 key bytes)  → 12 characters, e.g. "AKxL3f0G1bQw"
// so that a polling request arriving on another thread is forwarded to the owner without
// any shared table, and a sid cannot be guessed (the key comes from getrandom()).
//
// Thread-safety: pure functions.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace parley::engineio {

struct SidParts {
  int thread = 0;
  std::uint64_t key = 0;
};

inline constexpr int kMaxThreads = 256;

// REQUIRES: 0 <= thread < kMaxThreads.
std::string encode_sid(int thread, std::uint64_t key);
// nullopt unless `sid` is exactly what encode_sid produces.
std::optional<SidParts> decode_sid(std::string_view sid);

// base64url without padding of the 8 bytes of `id` (11 characters): Socket.IO socket ids.
std::string encode_id(std::uint64_t id);

}  // namespace parley::engineio
