#pragma once
// Socket: one client connected to one namespace (a connection may hold several, one per
// namespace). This is what event handlers get: emit to this client, join and leave rooms,
// read the application's data, disconnect.
//
// Thread-safety: a Socket lives on its connection's IO thread; use it only there, during
// a handler call or a function run through Server::run_on_socket(). From other threads,
// keep its SocketRef instead.
// Ownership: owned by its connection's Client; destroyed at the end of the batch after it
// disconnects, so a reference stays valid until the current handler returns (check
// connected()).
// Destruction: on its connection's IO thread only (or, after the IO threads have stopped,
// on the thread that destroys the servers). SocketData::app is destroyed with it, there.

#include <boost/json/array.hpp>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "realtime/io/thread_context.hpp"
#include "realtime/socketio/outgoing.hpp"
#include "realtime/socketio/room_index.hpp"
#include "realtime/socketio/types.hpp"

namespace parley::socketio {

class Client;
class Namespace;

class Socket final : public RoomMember, public realtime::Disposable {
 public:
  Socket(Client& client, Namespace& nsp, std::uint64_t id, SocketData data);
  ~Socket() override;

  SocketRef ref() const noexcept;
  // The socket id the client received in its CONNECT answer ({"sid": ...}).
  std::string id() const;
  Namespace& nsp() const noexcept { return nsp_; }
  SocketData& data() noexcept { return data_; }
  const SocketData& data() const noexcept { return data_; }
  bool connected() const noexcept { return connected_; }
  int thread_index() const noexcept;

  // EVENT [event, ...args]; binary arguments as placeholders into `attachments`.
  // False when the socket is disconnected (or its connection was just closed for
  // exceeding its send queue).
  bool emit(std::string_view event, const boost::json::array& args = {}, std::span<const std::string> attachments = {});
  // The same, asking the client for an acknowledgement: `on_ack` runs (on this thread) with
  // the client's ACK packet. At most kMaxPendingAcks wait at once; beyond, the oldest is
  // forgotten. Callbacks still waiting when the socket disconnects are dropped.
  bool emit_with_ack(std::string_view event, const boost::json::array& args, AckCallback on_ack,
                     std::span<const std::string> attachments = {});
  // A packet already encoded for this socket's namespace (e.g. shared by many sockets).
  bool send(const EncodedPacket& packet);

  // Rooms of this namespace on this thread. join() is false when the socket already holds
  // the maximum number of rooms (ServerOptions::max_rooms_per_socket).
  bool join(std::string_view room);
  bool leave(std::string_view room);
  void leave_all();
  bool in(std::string_view room) const;

  // Server-side disconnect of this namespace: sends DISCONNECT to the client, then the
  // disconnect handler runs with server_namespace_disconnect. With close_connection, the
  // whole connection closes too (the client will not reconnect by itself).
  void disconnect(bool close_connection = false);

  static constexpr std::size_t kMaxPendingAcks = 256;

 private:
  friend class Client;
  void on_ack(const Packet& packet);

  Client& client_;
  Namespace& nsp_;
  std::uint64_t id_;
  SocketData data_;
  std::vector<std::pair<std::uint64_t, AckCallback>> acks_;
  std::uint64_t next_ack_id_ = 0;
  bool connected_ = true;
};

}  // namespace parley::socketio
