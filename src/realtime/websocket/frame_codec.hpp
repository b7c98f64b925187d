#pragma once
// RFC 6455 frame header codec for the server side: encodes the (unmasked) headers the
// server writes and parses the (masked) headers clients send. Pure functions over bytes.
//
//   byte 0: FIN | RSV1..3 | opcode        byte 1: MASK | length (0..125, 126, 127)
//   then a 16- or 64-bit big-endian length, then the 4-byte masking key (client frames).
//
// Thread-safety: pure functions; no state.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace parley::websocket {

enum class Opcode : std::uint8_t {
  continuation = 0x0,
  text = 0x1,
  binary = 0x2,
  close = 0x8,
  ping = 0x9,
  pong = 0xA,
};

inline constexpr bool is_control(Opcode opcode) noexcept {
  return (static_cast<std::uint8_t>(opcode) & 0x8) != 0;
}

// Close status codes (RFC 6455 §7.4.1) the server sends or recognizes.
namespace close_code {
inline constexpr std::uint16_t normal = 1000;
inline constexpr std::uint16_t going_away = 1001;
inline constexpr std::uint16_t protocol_error = 1002;
inline constexpr std::uint16_t unsupported_data = 1003;
inline constexpr std::uint16_t no_status = 1005;  // never sent: "the close frame had no code"
inline constexpr std::uint16_t abnormal = 1006;   // never sent: "no close frame at all"
inline constexpr std::uint16_t invalid_payload = 1007;
inline constexpr std::uint16_t policy_violation = 1008;
inline constexpr std::uint16_t message_too_big = 1009;
inline constexpr std::uint16_t internal_error = 1011;
}  // namespace close_code

// True for a code a peer may put in a close frame (1000-1003, 1007-1011, 3000-4999).
bool is_valid_close_code(std::uint16_t code) noexcept;

// Largest header the server writes: 2 bytes + 64-bit length (no mask).
inline constexpr std::size_t kMaxServerHeader = 10;
// Largest header a client writes: 2 + 8 + 4 (mask).
inline constexpr std::size_t kMaxClientHeader = 14;
// Control frames carry at most 125 payload bytes and are never fragmented.
inline constexpr std::size_t kMaxControlPayload = 125;

// Writes the header of an unmasked server frame into `out` (at least kMaxServerHeader
// bytes) and returns its size (2, 4 or 10).
std::size_t encode_header(char* out, Opcode opcode, bool fin, std::uint64_t payload_size) noexcept;

// The header size for a server frame with this payload size.
constexpr std::size_t header_size(std::uint64_t payload_size) noexcept {
  return payload_size < 126 ? 2 : payload_size <= 0xFFFF ? 4 : 10;
}

// A whole server frame (header + payload) in a string: for control frames and tests.
std::string encode_frame(Opcode opcode, std::string_view payload, bool fin = true);

struct FrameHeader {
  bool fin = true;
  std::uint8_t rsv = 0;  // RSV1..3 as the low three bits
  Opcode opcode = Opcode::text;
  bool masked = false;
  std::uint64_t payload_size = 0;
  std::array<std::uint8_t, 4> mask{};
  std::size_t size = 0;  // bytes of the header itself
};

enum class HeaderStatus { complete, need_more, invalid };

struct ParsedHeader {
  HeaderStatus status = HeaderStatus::need_more;
  FrameHeader header;
};

// Parses a frame header at the start of `bytes`. `invalid` when the 64-bit length has its
// most significant bit set (RFC 6455 §5.2) or the opcode is reserved; everything else
// (RSV bits, masking, control frame rules) is checked by the caller, which knows the role.
ParsedHeader parse_header(std::string_view bytes) noexcept;

// XORs `data` with the masking key, starting at key position `offset` (0..3); returns the
// key position after the last byte.
std::size_t apply_mask(char* data, std::size_t size, const std::array<std::uint8_t, 4>& mask,
                       std::size_t offset) noexcept;

// The payload of a close frame: 2-byte code then a UTF-8 reason (at most 123 bytes: longer
// reasons are cut at a character boundary).
std::string close_payload(std::uint16_t code, std::string_view reason = {});

struct CloseFrame {
  std::uint16_t code = close_code::no_status;
  std::string_view reason;
};

// Parses a received close payload. nullopt if it is one byte long, carries a code that may
// not be sent, or a reason that is not UTF-8 (the caller closes with protocol_error, or
// invalid_payload for the reason).
enum class CloseParse { ok, bad_code, bad_reason };
CloseParse parse_close_payload(std::string_view payload, CloseFrame& out) noexcept;

}  // namespace parley::websocket
