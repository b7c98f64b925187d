// libFuzzer target for the Socket.IO v5 decoder and the attachment reconstructor.
//
// Input: messages separated by '\x1e' (like a polling body); a message starting with 'b'
// is a binary attachment (the rest are its bytes), any other is the text of a packet.
// Every complete packet must re-encode to text that decodes to the same packet, is valid
// UTF-8 and never contains the polling separator.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/utf8.hpp"
#include "realtime/socketio/packet.hpp"

namespace sio = parley::socketio;

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

void check_round_trip(const sio::Packet& packet) {
  const std::string text = sio::encode(packet);
  check(parley::is_valid_utf8(text));
  check(text.find('\x1e') == std::string::npos);
  auto again = sio::decode_text(text);
  check(again.ok());
  check(again->attachments_expected == packet.attachments.size());
  sio::Packet copy = again->packet;
  copy.attachments = packet.attachments;
  check(copy == packet);
  check(sio::encode(copy) == text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  // The whole input as one packet text.
  if (auto decoded = sio::decode_text(input); decoded && decoded->attachments_expected == 0) {
    check_round_trip(decoded->packet);
  }

  // The input as a sequence of messages through a reconstructor.
  sio::Reconstructor reconstructor;
  std::size_t start = 0;
  while (start <= input.size()) {
    std::size_t end = input.find('\x1e', start);
    if (end == std::string_view::npos) end = input.size();
    const std::string_view message = input.substr(start, end - start);
    auto result = !message.empty() && message.front() == 'b'
                      ? reconstructor.add_binary(std::string(message.substr(1)))
                      : reconstructor.add_text(message);
    if (result && result->has_value()) check_round_trip(**result);
    if (!result) check(!reconstructor.awaiting_attachments());
    start = end + 1;
  }
  return 0;
}
