// libFuzzer target for the Engine.IO v4 decoders (untrusted input: HTTP long-polling POST
// bodies and WebSocket frames). Beyond "no crash, no sanitizer report", it checks that the
// codec is canonical: whatever decodes re-encodes to the very same bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/base64.hpp"
#include "realtime/engineio/packet.hpp"
#include "common/utf8.hpp"

namespace eio = parley::engineio;

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  // A polling body: decode, re-encode, compare.
  auto packets = eio::decode_payload(input, 1 << 20);
  if (packets) {
    check(parley::is_valid_utf8(input));
    check(eio::encode_payload(*packets) == input);
    std::string rebuilt;
    for (const auto& packet : *packets) {
      const eio::Frame frame = eio::encode_frame(packet);
      eio::append_frame_to_payload(rebuilt, frame.bytes, frame.binary);
    }
    check(rebuilt == input);
  }

  // A WebSocket text frame.
  auto packet = eio::decode_text(input);
  if (packet) {
    const eio::Frame frame = eio::encode_frame(*packet);
    if (packet->binary) {
      check(frame.binary);
      check("b" + parley::base64_encode(frame.bytes) == input);
    } else {
      check(!frame.binary && frame.bytes == input);
    }
  }

  // A WebSocket binary frame is always a message.
  check(eio::decode_binary(input).data == input);

  // Base64 both ways.
  auto decoded = parley::base64_decode(input);
  if (decoded) check(parley::base64_encode(*decoded) == input);
  check(parley::base64_decode(parley::base64_encode(input)) == std::string(input));
  return 0;
}
