// libFuzzer target for the preview child's answer (media/preview_protocol.hpp),
// which the server reads from a process that has just decoded an untrusted
// image. Properties: any bytes decode to a value or a refusal, never a crash;
// an accepted answer agrees with the request and encodes back to the same bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "media/preview_protocol.hpp"

namespace {
void check(bool condition) {
  if (!condition) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace protocol = parley::media::preview_protocol;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::vector<int> sides{320, 1280};
  const auto answer = protocol::decode_answer(input, sides);
  if (answer.ok()) {
    check(answer->thumbnails.size() == sides.size());
    for (std::size_t i = 0; i < sides.size(); ++i) {
      const auto& t = answer->thumbnails[i];
      check(t.max_side == sides[i] && t.width >= 1 && t.width <= sides[i] && t.height >= 1 && t.height <= sides[i]);
    }
    check(protocol::encode_answer(answer).substr(4) == input);
  } else {
    check(!answer.error().code.empty());
  }
  if (auto request = protocol::decode_request(input)) check(protocol::encode_request(*request).substr(4) == input);
  return 0;
}
