#include "realtime/socketio/packet.hpp"

#include <array>
#include <cassert>
#include <limits>

#include <boost/json/serializer.hpp>
#include <boost/json/value.hpp>

#include "common/utf8.hpp"
#include "realtime/socketio/json_parse.hpp"

namespace parley::socketio {
namespace json = boost::json;

namespace {

constexpr std::array<std::string_view, 6> kReservedEvents = {
    "connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener",
};

Error protocol_error(std::string code, std::string message) {
  return Error::bad_request(std::move(code), std::move(message));
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool is_binary(PacketType type) {
  return type == PacketType::binary_event || type == PacketType::binary_ack;
}

void append_decimal(std::string& out, std::uint64_t n) {
  char buf[20];
  char* p = buf + sizeof buf;
  do {
    *--p = static_cast<char>('0' + n % 10);
    n /= 10;
  } while (n != 0);
  out.append(p, static_cast<std::size_t>(buf + sizeof buf - p));
}

// Serializes `value` into `out` through a stack buffer: one pass, no temporary string.
void serialize_to(std::string& out, const json::value& value) {
  json::serializer serializer;
  serializer.reset(&value);
  char buf[4096];
  while (!serializer.done()) out.append(serializer.read(buf, sizeof buf));
}

// Parses the decimal digits at text[pos...] and advances pos past them; nullopt when the
// number does not fit in 64 bits.
std::optional<std::uint64_t> parse_decimal(std::string_view text, std::size_t& pos) {
  std::uint64_t n = 0;
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  while (pos < text.size() && is_digit(text[pos])) {
    const auto digit = static_cast<std::uint64_t>(text[pos] - '0');
    if (n > (kMax - digit) / 10) return std::nullopt;
    n = n * 10 + digit;
    ++pos;
  }
  return n;
}

bool is_valid_namespace(std::string_view nsp) {
  for (char c : nsp) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) return false;
  }
  return is_valid_utf8(nsp);
}

Status check_shape(PacketType type, const std::optional<json::value>& data, bool has_id) {
  switch (type) {
    case PacketType::connect:
      if (has_id) return protocol_error("sio_bad_ack_id", "CONNECT takes no ack id");
      if (data && !data->is_object()) {
        return protocol_error("sio_invalid_payload", "CONNECT payload must be an object");
      }
      return {};
    case PacketType::disconnect:
      if (has_id) return protocol_error("sio_bad_ack_id", "DISCONNECT takes no ack id");
      if (data) return protocol_error("sio_invalid_payload", "DISCONNECT takes no payload");
      return {};
    case PacketType::event:
    case PacketType::binary_event: {
      const json::array* args = data ? data->if_array() : nullptr;
      if (!args || args->empty()) {
        return protocol_error("sio_invalid_payload", "EVENT payload must be a non-empty array");
      }
      const json::string* name = args->front().if_string();
      if (!name) return protocol_error("sio_invalid_payload", "event name must be a string");
      if (is_reserved_event_name(*name)) {
        return protocol_error("sio_invalid_payload", "reserved event name");
      }
      return {};
    }
    case PacketType::ack:
    case PacketType::binary_ack:
      if (!has_id) return protocol_error("sio_bad_ack_id", "ACK without an ack id");
      if (!data || !data->is_array()) {
        return protocol_error("sio_invalid_payload", "ACK payload must be an array");
      }
      return {};
    case PacketType::connect_error:
      if (has_id) return protocol_error("sio_bad_ack_id", "CONNECT_ERROR takes no ack id");
      if (!data || !(data->is_object() || data->is_string())) {
        return protocol_error("sio_invalid_payload",
                              "CONNECT_ERROR payload must be an object or a string");
      }
      return {};
  }
  return protocol_error("sio_unknown_packet_type", "unknown packet type");
}

// In a binary packet, every object with "_placeholder": true must be a well-formed
// placeholder designating one of the announced attachments. (In a plain packet such an
// object is ordinary data, as in the reference parser.) The depth of the walk is bounded
// by the parser's max_depth.
bool placeholders_valid(const json::value& value, std::size_t attachment_count) {
  if (const json::array* array = value.if_array()) {
    for (const json::value& element : *array) {
      if (!placeholders_valid(element, attachment_count)) return false;
    }
    return true;
  }
  if (const json::object* object = value.if_object()) {
    const json::value* marker = object->if_contains("_placeholder");
    if (marker && marker->is_bool() && marker->get_bool()) {
      const auto num = placeholder_num(value);
      return num && *num < attachment_count;
    }
    for (const auto& member : *object) {
      if (!placeholders_valid(member.value(), attachment_count)) return false;
    }
  }
  return true;
}

}  // namespace

std::string_view to_string(PacketType type) noexcept {
  switch (type) {
    case PacketType::connect: return "CONNECT";
    case PacketType::disconnect: return "DISCONNECT";
    case PacketType::event: return "EVENT";
    case PacketType::ack: return "ACK";
    case PacketType::connect_error: return "CONNECT_ERROR";
    case PacketType::binary_event: return "BINARY_EVENT";
    case PacketType::binary_ack: return "BINARY_ACK";
  }
  return "UNKNOWN";
}

// ---- encoding ----

void encode_to(std::string& out, PacketType type, std::string_view nsp,
               std::optional<std::uint64_t> id, const json::value* data,
               std::size_t attachment_count) {
  assert(!nsp.empty() && nsp.front() == '/' && nsp.find(',') == std::string_view::npos);
  if (attachment_count > 0) {
    if (type == PacketType::event) type = PacketType::binary_event;
    if (type == PacketType::ack) type = PacketType::binary_ack;
  }
  out.push_back(static_cast<char>('0' + static_cast<int>(type)));
  if (is_binary(type)) {
    append_decimal(out, attachment_count);
    out.push_back('-');
  }
  if (nsp != kMainNamespace) {
    out.append(nsp);
    out.push_back(',');
  }
  if (id) append_decimal(out, *id);
  if (data) serialize_to(out, *data);
}

void encode_to(std::string& out, const Packet& packet) {
  encode_to(out, packet.type, packet.nsp, packet.id, packet.data ? &*packet.data : nullptr,
            packet.attachments.size());
}

std::string encode(const Packet& packet) {
  std::string out;
  encode_to(out, packet);
  return out;
}

// ---- decoding ----

Result<DecodedText> decode_text(std::string_view text, const DecodeOptions& options) {
  if (text.empty()) return protocol_error("sio_empty_packet", "empty packet");
  if (text[0] < '0' || text[0] > '6') {
    return protocol_error("sio_unknown_packet_type", "unknown packet type");
  }
  DecodedText decoded;
  Packet& packet = decoded.packet;
  const auto wire_type = static_cast<PacketType>(text[0] - '0');
  std::size_t pos = 1;

  if (is_binary(wire_type)) {
    const std::size_t start = pos;
    const auto count = parse_decimal(text, pos);
    if (pos == start || pos >= text.size() || text[pos] != '-' || !count) {
      return protocol_error("sio_bad_attachments", "illegal attachment count");
    }
    if (*count > options.max_attachments) {
      return protocol_error("sio_too_many_attachments", "too many attachments");
    }
    decoded.attachments_expected = static_cast<std::size_t>(*count);
    ++pos;  // '-'
  }

  if (pos < text.size() && text[pos] == '/') {
    const std::size_t comma = text.find(',', pos);
    const std::size_t end = comma == std::string_view::npos ? text.size() : comma;
    const std::string_view nsp = text.substr(pos, end - pos);
    if (!is_valid_namespace(nsp)) return protocol_error("sio_bad_namespace", "invalid namespace");
    packet.nsp.assign(nsp);
    pos = comma == std::string_view::npos ? text.size() : comma + 1;
  }

  if (pos < text.size() && is_digit(text[pos])) {
    const auto id = parse_decimal(text, pos);
    if (!id) return protocol_error("sio_bad_ack_id", "ack id out of range");
    packet.id = *id;
  }

  if (pos < text.size()) {
    auto value = parse_json(text.substr(pos), options.max_depth);
    if (!value) return protocol_error("sio_invalid_json", "payload is not valid JSON");
    packet.data = std::move(*value);
  }

  if (Status shape = check_shape(wire_type, packet.data, packet.id.has_value()); !shape) {
    return shape.error();
  }

  if (is_binary(wire_type)) {
    if (!placeholders_valid(*packet.data, decoded.attachments_expected)) {
      return protocol_error("sio_bad_placeholder", "invalid binary placeholder");
    }
    packet.type = wire_type == PacketType::binary_event ? PacketType::event : PacketType::ack;
  } else {
    packet.type = wire_type;
  }
  return decoded;
}

void Reconstructor::reset() noexcept {
  pending_.reset();
  expected_ = 0;
  buffered_bytes_ = 0;
}

Result<std::optional<Packet>> Reconstructor::add_text(std::string_view text) {
  if (pending_) {
    reset();
    return protocol_error("sio_unexpected_text", "text packet while awaiting attachments");
  }
  auto decoded = decode_text(text, options_);
  if (!decoded) return decoded.error();
  if (decoded->attachments_expected == 0) {
    return std::optional<Packet>(std::move(decoded->packet));
  }
  expected_ = decoded->attachments_expected;
  pending_ = std::move(decoded->packet);
  pending_->attachments.reserve(expected_);
  return std::optional<Packet>();
}

Result<std::optional<Packet>> Reconstructor::add_binary(std::string bytes) {
  if (!pending_) {
    return protocol_error("sio_unexpected_binary", "binary message without a binary packet");
  }
  buffered_bytes_ += bytes.size();
  pending_->attachments.push_back(std::move(bytes));
  if (pending_->attachments.size() < expected_) return std::optional<Packet>();
  std::optional<Packet> complete = std::move(pending_);
  reset();
  return complete;
}

// ---- helpers ----

bool is_reserved_event_name(std::string_view name) noexcept {
  for (std::string_view reserved : kReservedEvents) {
    if (name == reserved) return true;
  }
  return false;
}

std::string_view event_name(const Packet& packet) noexcept {
  if (packet.type != PacketType::event && packet.type != PacketType::binary_event) return {};
  const json::array* args = packet.data ? packet.data->if_array() : nullptr;
  if (!args || args->empty()) return {};
  const json::string* name = args->front().if_string();
  return name ? std::string_view(*name) : std::string_view();
}

json::value make_placeholder(std::size_t num) {
  json::object object;
  object.reserve(2);
  object.emplace("_placeholder", true);
  object.emplace("num", static_cast<std::uint64_t>(num));
  return object;
}

std::optional<std::size_t> placeholder_num(const json::value& value) noexcept {
  const json::object* object = value.if_object();
  if (!object || object->size() != 2) return std::nullopt;
  const json::value* marker = object->if_contains("_placeholder");
  const json::value* num = object->if_contains("num");
  if (!marker || !num || !marker->is_bool() || !marker->get_bool()) return std::nullopt;
  if (const std::int64_t* n = num->if_int64()) {
    if (*n < 0) return std::nullopt;
    return static_cast<std::size_t>(*n);
  }
  if (const std::uint64_t* n = num->if_uint64()) return static_cast<std::size_t>(*n);
  return std::nullopt;
}

const std::string* find_attachment(const Packet& packet, const json::value& value) noexcept {
  const auto num = placeholder_num(value);
  if (!num || *num >= packet.attachments.size()) return nullptr;
  return &packet.attachments[*num];
}

}  // namespace parley::socketio
