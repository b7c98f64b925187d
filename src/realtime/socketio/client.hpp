#pragma once
// Client: the Socket.IO side of one Engine.IO session. Decodes packets (with binary
// attachments), routes them to the namespace sockets, runs the CONNECT handshake (with the
// application's asynchronous decision) and the connect timeout, and disconnects the
// sockets when the session closes.
//
// Any invalid packet closes the connection (reason parse_error). Packets for a namespace
// the client is not connected to are ignored, as in the reference server.
//
// Thread-safety: the session's IO thread only. Ownership: owned by its Engine.IO session;
// owns its sockets. Other threads name it by (thread, session key) and post.
// Destruction: with its session, on the session's IO thread (or, after the IO threads
// have stopped, on the thread that destroys the servers).

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "realtime/engineio/handler.hpp"
#include "realtime/engineio/session.hpp"
#include "realtime/io/timer_wheel.hpp"
#include "realtime/socketio/packet.hpp"
#include "realtime/socketio/socket.hpp"
#include "realtime/socketio/types.hpp"

namespace parley::socketio {

class Server;
class Namespace;

class Client final : public engineio::SessionHandler, public realtime::TimerNode {
 public:
  explicit Client(Server& server);
  ~Client() override;

  engineio::Session& session() noexcept { return *session_; }
  Server& server() noexcept { return server_; }
  Socket* find_socket(std::uint64_t id) noexcept;

  // The application's decision on pending CONNECT `pending_id` (on this thread).
  void on_connect_decision(std::uint64_t pending_id, bool accepted, SocketData data,
                           const boost::json::value& refusal, const boost::json::value& auth);
  // A socket leaves (namespace disconnect or connection close).
  void remove_socket(Socket& socket, DisconnectReason reason);

 private:
  struct PendingConnect {
    std::uint64_t id;
    Namespace* nsp;
  };

  void on_open(engineio::Session& session) override;
  void on_message(engineio::Session& session, std::string_view text) override;
  void on_binary(engineio::Session& session, std::string_view bytes) override;
  void on_close(engineio::Session& session, engineio::CloseReason reason) override;
  void on_timer() override;  // connect timeout

  void on_packet(Packet& packet);
  void on_connect(Packet& packet);
  Socket* socket_for(std::string_view nsp) noexcept;
  bool pending_for(std::string_view nsp) const noexcept;
  void protocol_error();

  Server& server_;
  engineio::Session* session_ = nullptr;
  std::vector<std::unique_ptr<Socket>> sockets_;
  std::vector<PendingConnect> pending_;
  std::unique_ptr<Reconstructor> reconstructor_;  // only while a binary packet is incoming
  std::uint64_t next_pending_id_ = 0;
  bool closed_ = false;
};

}  // namespace parley::socketio
