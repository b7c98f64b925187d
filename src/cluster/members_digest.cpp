#include <cassert>
#include <algorithm>

#include "cluster/bus.hpp"

namespace parley::cluster {

namespace {

// splitmix64's finalizer: every input bit moves every output bit.
std::uint64_t mix(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

}  // namespace

std::uint64_t members_digest(const std::vector<Id>& sorted_ids) {
  assert(std::is_sorted(sorted_ids.begin(), sorted_ids.end()));
  std::uint64_t h = mix(sorted_ids.size() + 0x9e3779b97f4a7c15ULL);
  for (Id id : sorted_ids) h = mix(h ^ mix(static_cast<std::uint64_t>(id)));
  return h == 0 ? 1 : h;
}

}  // namespace parley::cluster
