#include "sio_socket.hpp"

#include <charconv>

namespace parley::bench {

namespace {

// Reads the decimal ack id at the start of `text`; returns the digits consumed (0: none).
std::size_t read_id(std::string_view text, std::uint64_t& id) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  return ec == std::errc() ? static_cast<std::size_t>(end - text.data()) : 0;
}

// One scratch string for building outgoing packets (the process is single-threaded).
std::string g_packet;

}  // namespace

void SioSocket::emit(std::string_view args, std::int64_t ack_id) {
  g_packet.assign("42");
  if (ack_id >= 0) {
    char digits[24];
    const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, ack_id);
    g_packet.append(digits, end);
  }
  g_packet.append(args);
  ws_.queue_text(g_packet);
}

void SioSocket::on_ws_open(WsConnection&) {}

void SioSocket::on_ws_text(WsConnection& ws, std::string_view payload, std::uint64_t received_ns) {
  if (payload.empty()) return;
  switch (payload[0]) {
    case '0':  // Engine.IO open: connect to "/" with the auth payload
      g_packet.assign("40").append(auth_);
      ws.queue_text(g_packet);
      break;
    case '2':  // ping: the server closes a session that does not answer in time
      ws.queue_text("3");
      break;
    case '4':
      on_socketio(payload.substr(1), received_ns);
      break;
    case '1':
      ws.close("engineio_close");
      break;
    default:
      break;  // "6" noop, "3" pong: nothing to do
  }
}

void SioSocket::on_socketio(std::string_view packet, std::uint64_t received_ns) {
  if (packet.empty()) return;
  const char type = packet[0];
  std::string_view rest = packet.substr(1);
  switch (type) {
    case '2': {  // EVENT [id] [args]
      std::uint64_t id = 0;
      rest.remove_prefix(read_id(rest, id));
      listener_.on_sio_event(*this, rest, received_ns);
      break;
    }
    case '3': {  // ACK id [args]
      std::uint64_t id = 0;
      const std::size_t digits = read_id(rest, id);
      if (digits == 0) return;
      listener_.on_sio_ack(*this, id, rest.substr(digits), received_ns);
      break;
    }
    case '0':
      connected_ = true;
      listener_.on_sio_connected(*this);
      break;
    case '4':
      listener_.on_sio_connect_error(*this, rest);
      break;
    case '1':
      ws_.close("socketio_disconnect");
      break;
    default:
      break;
  }
}

void SioSocket::on_ws_closed(WsConnection&, std::string_view why) {
  connected_ = false;
  listener_.on_sio_closed(*this, why);
}

}  // namespace parley::bench
