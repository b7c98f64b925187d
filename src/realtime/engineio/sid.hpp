#pragma once
// Session ids. A sid names the node that owns the session (its route tag), the
// owning IO thread and a random 64-bit key:
//   ROUTE "." base64url(thread index byte, 8 key bytes)   e.g. "8081.AKxL3f0G1bQw"
// The route tag lets a load balancer send every request of a session to its node
// with a static whitelist (nginx: a `map` on $arg_sid, deploy/nginx-cluster.conf);
// the thread index lets a polling request arriving on another thread be forwarded
// to the owner without any shared table; the key (from getrandom()) makes a sid
// unguessable. An empty route (a server that needs none) leaves the sid as the
// 12 characters after the dot.
//
// Thread-safety: pure functions.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace parley::engineio {

struct SidParts {
  std::string route;
  int thread = 0;
  std::uint64_t key = 0;
};

inline constexpr int kMaxThreads = 256;
inline constexpr std::size_t kMaxRouteChars = 32;

// A route tag: 1 to 32 of A-Z a-z 0-9 '-' '_' (safe in a URL and in an nginx regex).
bool valid_route(std::string_view route);

// REQUIRES: 0 <= thread < kMaxThreads; route empty or valid_route(route).
std::string encode_sid(std::string_view route, int thread, std::uint64_t key);
// nullopt unless `sid` is exactly what encode_sid produces (for some route).
std::optional<SidParts> decode_sid(std::string_view sid);

// base64url without padding of the 8 bytes of `id` (11 characters): Socket.IO socket ids.
std::string encode_id(std::uint64_t id);

}  // namespace parley::engineio
