#include "realtime/websocket/frame_codec.hpp"

#include <cstring>

#include "common/utf8.hpp"

namespace parley::websocket {

bool is_valid_close_code(std::uint16_t code) noexcept {
  if (code >= 1000 && code <= 1003) return true;
  if (code >= 1007 && code <= 1011) return true;
  return code >= 3000 && code <= 4999;
}

std::size_t encode_header(char* out, Opcode opcode, bool fin, std::uint64_t payload_size) noexcept {
  out[0] = static_cast<char>((fin ? 0x80 : 0x00) | static_cast<std::uint8_t>(opcode));
  if (payload_size < 126) {
    out[1] = static_cast<char>(payload_size);
    return 2;
  }
  if (payload_size <= 0xFFFF) {
    out[1] = 126;
    out[2] = static_cast<char>((payload_size >> 8) & 0xFF);
    out[3] = static_cast<char>(payload_size & 0xFF);
    return 4;
  }
  out[1] = 127;
  for (int i = 0; i < 8; ++i) out[2 + i] = static_cast<char>((payload_size >> (56 - 8 * i)) & 0xFF);
  return 10;
}

std::string encode_frame(Opcode opcode, std::string_view payload, bool fin) {
  char header[kMaxServerHeader];
  const std::size_t size = encode_header(header, opcode, fin, payload.size());
  std::string out;
  out.reserve(size + payload.size());
  out.append(header, size);
  out.append(payload);
  return out;
}

ParsedHeader parse_header(std::string_view bytes) noexcept {
  ParsedHeader parsed;
  if (bytes.size() < 2) return parsed;
  const auto b0 = static_cast<std::uint8_t>(bytes[0]);
  const auto b1 = static_cast<std::uint8_t>(bytes[1]);
  FrameHeader& h = parsed.header;
  h.fin = (b0 & 0x80) != 0;
  h.rsv = static_cast<std::uint8_t>((b0 >> 4) & 0x7);
  const std::uint8_t op = b0 & 0x0F;
  h.masked = (b1 & 0x80) != 0;
  const std::uint8_t len7 = b1 & 0x7F;
  std::size_t size = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + (h.masked ? 4 : 0);
  const bool known = op <= 0x2 || (op >= 0x8 && op <= 0xA);
  if (!known) {
    parsed.status = HeaderStatus::invalid;
    return parsed;
  }
  h.opcode = static_cast<Opcode>(op);
  if (bytes.size() < size) return parsed;
  std::size_t pos = 2;
  if (len7 == 126) {
    h.payload_size = (std::uint64_t{static_cast<std::uint8_t>(bytes[2])} << 8) | static_cast<std::uint8_t>(bytes[3]);
    pos = 4;
  } else if (len7 == 127) {
    std::uint64_t n = 0;
    for (int i = 0; i < 8; ++i) n = (n << 8) | static_cast<std::uint8_t>(bytes[2 + i]);
    if (n >> 63) {
      parsed.status = HeaderStatus::invalid;
      return parsed;
    }
    h.payload_size = n;
    pos = 10;
  } else {
    h.payload_size = len7;
  }
  if (h.masked) {
    for (int i = 0; i < 4; ++i) h.mask[i] = static_cast<std::uint8_t>(bytes[pos + i]);
  }
  h.size = size;
  parsed.status = HeaderStatus::complete;
  return parsed;
}

std::size_t apply_mask(char* data, std::size_t size, const std::array<std::uint8_t, 4>& mask,
                       std::size_t offset) noexcept {
  offset &= 3;
  std::size_t i = 0;
  // Byte by byte up to a key boundary, then 8 bytes at a time with a rotated key.
  while (i < size && offset != 0) {
    data[i++] ^= static_cast<char>(mask[offset]);
    offset = (offset + 1) & 3;
  }
  std::uint8_t key8[8];
  for (int k = 0; k < 8; ++k) key8[k] = mask[k & 3];
  std::uint64_t key;
  std::memcpy(&key, key8, 8);
  for (; i + 8 <= size; i += 8) {
    std::uint64_t word;
    std::memcpy(&word, data + i, 8);
    word ^= key;
    std::memcpy(data + i, &word, 8);
  }
  for (; i < size; ++i) {
    data[i] ^= static_cast<char>(mask[offset]);
    offset = (offset + 1) & 3;
  }
  return offset;
}

std::string close_payload(std::uint16_t code, std::string_view reason) {
  if (reason.size() > kMaxControlPayload - 2) {
    std::size_t cut = kMaxControlPayload - 2;
    // Back up to the start of a UTF-8 character.
    while (cut > 0 && (static_cast<std::uint8_t>(reason[cut]) & 0xC0) == 0x80) --cut;
    reason = reason.substr(0, cut);
  }
  std::string out;
  out.reserve(2 + reason.size());
  out.push_back(static_cast<char>(code >> 8));
  out.push_back(static_cast<char>(code & 0xFF));
  out.append(reason);
  return out;
}

CloseParse parse_close_payload(std::string_view payload, CloseFrame& out) noexcept {
  out = CloseFrame{};
  if (payload.empty()) return CloseParse::ok;
  if (payload.size() == 1) return CloseParse::bad_code;
  const auto code = static_cast<std::uint16_t>((static_cast<std::uint8_t>(payload[0]) << 8) |
                                               static_cast<std::uint8_t>(payload[1]));
  if (!is_valid_close_code(code)) return CloseParse::bad_code;
  out.code = code;
  out.reason = payload.substr(2);
  if (!is_valid_utf8(out.reason)) return CloseParse::bad_reason;
  return CloseParse::ok;
}

}  // namespace parley::websocket
