#pragma once
// Engine.IO protocol v4 packet codec: single packets (one per WebSocket frame), HTTP
// long-polling payloads, and the handshake's open packet.
//
//   text packet    <type digit 0..6><data>            "4hello", "2probe", "6"
//   binary packet  raw bytes in a binary frame         (always a message; no type byte)
//   polling body   packets joined by '\x1e'; a binary packet is written "b" + base64
//
// Pure functions over bytes: no I/O, no state, no Asio/Beast. Decoders copy what they
// return into owned strings, so results never point into the input buffer.
// Thread-safety: every function may be called from any thread concurrently.
//
// Text and UTF-8: a WebSocket text frame is validated as UTF-8 by the WebSocket layer, so
// `decode_text` does not check it again; `decode_payload` validates the whole HTTP body
// (it is declared text/plain; charset=UTF-8) and rejects invalid UTF-8 rather than
// replacing it, so both transports hand the same, valid text upward.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace parley::engineio {

enum class PacketType : std::uint8_t {
  open = 0,
  close = 1,
  ping = 2,
  pong = 3,
  message = 4,
  upgrade = 5,
  noop = 6,
};

// "open", "close", ... for logs and test names.
std::string_view to_string(PacketType type) noexcept;

// Separates packets in an HTTP long-polling payload ("record separator").
inline constexpr char kRecordSeparator = '\x1e';

struct Packet {
  PacketType type = PacketType::message;
  // True only for a message whose data are raw bytes (a binary frame, or "b" + base64 in
  // a polling payload). Every other packet is text.
  bool binary = false;
  std::string data;

  static Packet text(PacketType type, std::string data = {}) {
    return Packet{type, false, std::move(data)};
  }
  static Packet binary_message(std::string bytes) {
    return Packet{PacketType::message, true, std::move(bytes)};
  }
  friend bool operator==(const Packet&, const Packet&) = default;
};

// What one WebSocket frame carries.
struct Frame {
  std::string bytes;
  bool binary = false;
  friend bool operator==(const Frame&, const Frame&) = default;
};

// ---- single packets (WebSocket frames, and the entries of a polling payload) ----

// Appends "<type digit><data>" to `out`: the text form of a packet. The caller may build
// "4" + a Socket.IO packet in one buffer this way and share it between recipients.
void encode_text_to(std::string& out, PacketType type, std::string_view data);

// The frame for `packet`: text "<type><data>", or the raw bytes of a binary message.
Frame encode_frame(const Packet& packet);

// Decodes one text packet (a WebSocket text frame, or one entry of a polling payload).
// "b" + base64 decodes to a binary message, as engine.io-parser does for clients without
// binary support. Errors (ErrorKind::bad_request): empty input ("eio_empty_packet"), a
// first byte that is neither a type digit nor 'b' ("eio_unknown_packet_type"), bad base64
// ("eio_bad_base64").
Result<Packet> decode_text(std::string_view text);

// A WebSocket binary frame: always a message with those bytes (Engine.IO v4 has no type
// byte in binary frames). Cannot fail.
Packet decode_binary(std::string_view bytes);

// ---- HTTP long-polling payloads ----

// Appends `packet` to the payload being built in `out`, preceded by the separator when
// `out` is not empty. Binary messages are written "b" + base64.
// REQUIRES: a text packet's data contains no '\x1e' (the separator cannot be escaped; the
// Socket.IO encoder never produces it: JSON escapes control characters and namespaces
// with control characters are refused by its decoder).
void append_to_payload(std::string& out, const Packet& packet);

// Same, from an already encoded WebSocket frame (what `encode_frame` returned), so that a
// session can keep one queue of shared frames for both transports.
void append_frame_to_payload(std::string& out, std::string_view frame_bytes, bool binary);

std::string encode_payload(std::span<const Packet> packets);

// Decodes a POST body. Errors: a body longer than `max_payload` bytes
// (ErrorKind::payload_too_large, "payload_too_large": answer 413), invalid UTF-8
// ("eio_invalid_utf8"), or any entry rejected by `decode_text` (so an empty body, and a
// leading, trailing or doubled separator, are errors: they contain an empty packet).
Result<std::vector<Packet>> decode_payload(std::string_view body, std::size_t max_payload);

// ---- handshake ----

struct Handshake {
  std::string_view sid;
  std::span<const std::string_view> upgrades;  // {"websocket"} on polling, {} on websocket
  std::uint64_t ping_interval_ms = 25000;
  std::uint64_t ping_timeout_ms = 20000;
  std::uint64_t max_payload = 1000000;
};

// {"sid":"...","upgrades":[...],"pingInterval":N,"pingTimeout":N,"maxPayload":N}
std::string handshake_json(const Handshake& handshake);

// The open packet: type open with the handshake JSON as data.
Packet open_packet(const Handshake& handshake);

}  // namespace parley::engineio
