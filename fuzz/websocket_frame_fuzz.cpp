// libFuzzer target for the WebSocket frame decoder (untrusted input: every byte a client
// sends after the upgrade). The first input byte picks how the rest is split into reads,
// so that partial headers, partial payloads and fragment boundaries are all exercised.
// Beyond "no crash, no sanitizer report" it checks the reader's promises: text messages
// are valid UTF-8, no message exceeds the limit, control payloads stay within 125 bytes,
// and an error is final.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>

#include "common/utf8.hpp"
#include "realtime/websocket/frame_codec.hpp"
#include "realtime/websocket/message_reader.hpp"

namespace ws = parley::websocket;

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

constexpr std::size_t kMaxMessage = 4096;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t chunk = 1 + data[0] % 64;
  std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);

  ws::MessageReader reader(kMaxMessage);
  bool failed = false;
  for (std::size_t pos = 0; pos < bytes.size() && !failed; pos += chunk) {
    std::span<char> input(bytes.data() + pos, std::min(chunk, bytes.size() - pos));
    while (true) {
      const ws::ReadEvent event = reader.next(input);
      using Kind = ws::ReadEvent::Kind;
      if (event.kind == Kind::need_more) {
        check(input.empty());
        break;
      }
      switch (event.kind) {
        case Kind::text:
          check(parley::is_valid_utf8(event.payload));
          check(event.payload.size() <= kMaxMessage);
          break;
        case Kind::binary:
          check(event.payload.size() <= kMaxMessage);
          break;
        case Kind::ping:
        case Kind::pong:
          check(event.payload.size() <= ws::kMaxControlPayload);
          break;
        case Kind::close:
          check(event.code == ws::close_code::no_status || ws::is_valid_close_code(event.code));
          check(parley::is_valid_utf8(event.payload));
          break;
        case Kind::error: {
          check(event.code == ws::close_code::protocol_error || event.code == ws::close_code::invalid_payload ||
                event.code == ws::close_code::message_too_big);
          std::string more = "\x81\x80xxxx";
          std::span<char> again(more);
          check(reader.next(again).kind == Kind::error);
          failed = true;
          break;
        }
        case Kind::need_more:
          break;
      }
      if (failed) break;
    }
  }

  // The header parser alone, on the raw input.
  const auto parsed = ws::parse_header(bytes);
  if (parsed.status == ws::HeaderStatus::complete) {
    check(parsed.header.size >= 2 && parsed.header.size <= ws::kMaxClientHeader);
    check(parsed.header.size <= bytes.size());
  }
  return 0;
}
