#include "realtime/engineio/packet.hpp"

#include <cassert>

#include <boost/json.hpp>

#include "common/base64.hpp"
#include "common/utf8.hpp"

namespace parley::engineio {
namespace {

constexpr char kBinaryPrefix = 'b';

Error bad_packet(std::string code, std::string message) {
  return Error::bad_request(std::move(code), std::move(message));
}

}  // namespace

std::string_view to_string(PacketType type) noexcept {
  switch (type) {
    case PacketType::open: return "open";
    case PacketType::close: return "close";
    case PacketType::ping: return "ping";
    case PacketType::pong: return "pong";
    case PacketType::message: return "message";
    case PacketType::upgrade: return "upgrade";
    case PacketType::noop: return "noop";
  }
  return "unknown";
}

void encode_text_to(std::string& out, PacketType type, std::string_view data) {
  out.reserve(out.size() + 1 + data.size());
  out.push_back(static_cast<char>('0' + static_cast<int>(type)));
  out.append(data);
}

Frame encode_frame(const Packet& packet) {
  if (packet.binary) return Frame{packet.data, true};
  Frame frame;
  encode_text_to(frame.bytes, packet.type, packet.data);
  return frame;
}

Result<Packet> decode_text(std::string_view text) {
  if (text.empty()) return bad_packet("eio_empty_packet", "empty packet");
  const char first = text.front();
  if (first == kBinaryPrefix) {
    auto bytes = base64_decode(text.substr(1));
    if (!bytes) return bad_packet("eio_bad_base64", "invalid base64 in binary packet");
    return Packet::binary_message(std::move(*bytes));
  }
  if (first < '0' || first > '6') {
    return bad_packet("eio_unknown_packet_type", "unknown packet type");
  }
  return Packet::text(static_cast<PacketType>(first - '0'), std::string(text.substr(1)));
}

Packet decode_binary(std::string_view bytes) {
  return Packet::binary_message(std::string(bytes));
}

void append_frame_to_payload(std::string& out, std::string_view frame_bytes, bool binary) {
  if (!out.empty()) out.push_back(kRecordSeparator);
  if (binary) {
    out.reserve(out.size() + 1 + base64_encoded_size(frame_bytes.size()));
    out.push_back(kBinaryPrefix);
    base64_encode_to(out, frame_bytes);
    return;
  }
  assert(frame_bytes.find(kRecordSeparator) == std::string_view::npos);
  out.append(frame_bytes);
}

void append_to_payload(std::string& out, const Packet& packet) {
  if (packet.binary) {
    append_frame_to_payload(out, packet.data, true);
    return;
  }
  assert(packet.data.find(kRecordSeparator) == std::string::npos);
  if (!out.empty()) out.push_back(kRecordSeparator);
  encode_text_to(out, packet.type, packet.data);
}

std::string encode_payload(std::span<const Packet> packets) {
  std::size_t size = 0;
  for (const auto& packet : packets) {
    size += 2 + (packet.binary ? base64_encoded_size(packet.data.size()) : packet.data.size());
  }
  std::string out;
  out.reserve(size);
  for (const auto& packet : packets) append_to_payload(out, packet);
  return out;
}

Result<std::vector<Packet>> decode_payload(std::string_view body, std::size_t max_payload) {
  if (body.size() > max_payload) {
    return Error{ErrorKind::payload_too_large, "payload_too_large",
                 "payload exceeds maxPayload"};
  }
  if (!is_valid_utf8(body)) return bad_packet("eio_invalid_utf8", "payload is not valid UTF-8");

  std::vector<Packet> packets;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = body.find(kRecordSeparator, start);
    const std::string_view entry =
        body.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    auto packet = decode_text(entry);
    if (!packet) return packet.error();
    packets.push_back(std::move(packet).value());
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return packets;
}

std::string handshake_json(const Handshake& handshake) {
  boost::json::array upgrades;
  upgrades.reserve(handshake.upgrades.size());
  for (std::string_view upgrade : handshake.upgrades) upgrades.emplace_back(upgrade);

  boost::json::object object;
  object.reserve(5);
  object.emplace("sid", handshake.sid);
  object.emplace("upgrades", std::move(upgrades));
  object.emplace("pingInterval", handshake.ping_interval_ms);
  object.emplace("pingTimeout", handshake.ping_timeout_ms);
  object.emplace("maxPayload", handshake.max_payload);
  return boost::json::serialize(object);
}

Packet open_packet(const Handshake& handshake) {
  return Packet::text(PacketType::open, handshake_json(handshake));
}

}  // namespace parley::engineio
