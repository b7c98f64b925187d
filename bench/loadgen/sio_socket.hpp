#pragma once
// SioSocket: a Socket.IO v5 client socket over Engine.IO v4, WebSocket transport only,
// default namespace "/" only: what the generator needs and nothing more.
//
//   TCP + upgrade -> Engine.IO open "0{...}" -> CONNECT "40{auth}" -> "40{sid}" connected
//   then EVENT "42[...]" / "42<id>[...]" both ways and ACK "43<id>[...]"; the server's
//   ping "2" is answered with "3" at once.
//
// Events and acks reach the Listener as the JSON text of their arguments, not parsed:
// the generator extracts the few fields it needs by searching the text, which keeps a
// delivery far cheaper for the generator than for the server that produced it.
//
// Ownership: owned by the worker for the life of the process (see WsConnection).
// Thread-safety: one thread.

#include <cstdint>
#include <netinet/in.h>
#include <string>
#include <string_view>

#include "ws_connection.hpp"

namespace parley::bench {

class SioSocket final : private WsConnection::Listener {
 public:
  class Listener {
   public:
    virtual void on_sio_connected(SioSocket& s) = 0;
    virtual void on_sio_connect_error(SioSocket& s, std::string_view payload) = 0;
    // `packet` is the EVENT's text from the '[' of its arguments on.
    virtual void on_sio_event(SioSocket& s, std::string_view packet, std::uint64_t received_ns) = 0;
    virtual void on_sio_ack(SioSocket& s, std::uint64_t id, std::string_view args, std::uint64_t received_ns) = 0;
    virtual void on_sio_closed(SioSocket& s, std::string_view why) = 0;

   protected:
    ~Listener() = default;
  };

  // `index` is the caller's handle for this socket; `auth` the CONNECT payload (JSON text).
  SioSocket(EventLoop& loop, Listener& listener, std::uint32_t index, std::string auth) noexcept
      : ws_(loop, *this), listener_(listener), auth_(std::move(auth)), index_(index) {}

  bool start(const sockaddr_in& server, std::uint32_t source_ip, std::string_view host) {
    return ws_.start(server, source_ip, host, "/socket.io/?EIO=4&transport=websocket");
  }
  // Queues EVENT `args` (the JSON array text: event name, then arguments) with an ack id, or without when id < 0.
  // REQUIRES: connected().
  void emit(std::string_view args, std::int64_t ack_id);
  void flush() { ws_.flush(); }
  void close() { ws_.close("client_close"); }

  bool connected() const noexcept { return connected_; }
  bool closed() const noexcept { return ws_.state() == WsConnection::State::closed; }
  std::uint32_t index() const noexcept { return index_; }
  std::size_t queued_bytes() const noexcept { return ws_.queued_bytes(); }

 private:
  void on_ws_open(WsConnection& ws) override;
  void on_ws_text(WsConnection& ws, std::string_view payload, std::uint64_t received_ns) override;
  void on_ws_closed(WsConnection& ws, std::string_view why) override;
  void on_socketio(std::string_view packet, std::uint64_t received_ns);

  WsConnection ws_;
  Listener& listener_;
  std::string auth_;
  std::uint32_t index_;
  bool connected_ = false;
};

}  // namespace parley::bench
