#pragma once
// Small value types of the Socket.IO application API.
//
// Thread-safety: plain values; copy them to any thread.

#include <boost/json/value.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "realtime/socketio/packet.hpp"

namespace parley::socketio {

// Names one socket (one namespace of one connection) from any thread. A socket that has
// gone is simply not found: every use through Server checks.
struct SocketRef {
  std::uint32_t thread = 0;   // owning IO thread
  std::uint64_t session = 0;  // Engine.IO session key
  std::uint64_t socket = 0;   // socket id (0: no socket)

  explicit operator bool() const noexcept { return socket != 0; }
  friend bool operator==(const SocketRef&, const SocketRef&) = default;
};

// What the application attaches to a socket when it accepts the connection.
struct SocketData {
  std::int64_t user_id = 0;
  std::shared_ptr<void> app;  // anything else (owned; destroyed with the socket)
};

enum class DisconnectReason : unsigned char {
  client_namespace_disconnect,  // the client sent DISCONNECT for this namespace
  server_namespace_disconnect,  // Socket::disconnect()
  transport_close,              // the connection ended (client gone, closed, network)
  transport_error,              // the client broke the transport rules
  parse_error,                  // the client sent an invalid packet
  ping_timeout,
  forced_close,                 // the server closed the connection
  server_shutting_down,
  slow_consumer,                // the client did not read fast enough (send queue full)
};

// As the reference server words it ("client namespace disconnect", "transport close", ...).
std::string_view to_string(DisconnectReason reason) noexcept;

// A client's answer to an emit that asked for one: its ACK packet (data is the argument
// array; binary arguments are placeholders into `attachments`).
using AckCallback = std::function<void(const Packet& ack)>;

}  // namespace parley::socketio
