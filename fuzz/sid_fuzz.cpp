// libFuzzer target for Engine.IO sids (realtime/engineio/sid.hpp), which come from
// clients in every polling request and websocket upgrade. A sid decodes only if it is
// exactly what encode_sid makes of its parts: decode then encode gives the input back.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "realtime/engineio/sid.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto parts = parley::engineio::decode_sid(input);
  if (!parts) return 0;
  if (!parts->route.empty() && !parley::engineio::valid_route(parts->route)) std::abort();
  if (parts->thread < 0 || parts->thread >= parley::engineio::kMaxThreads) std::abort();
  if (parley::engineio::encode_sid(parts->route, parts->thread, parts->key) != input) std::abort();
  return 0;
}
