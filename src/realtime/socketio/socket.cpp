#include "realtime/socketio/socket.hpp"

#include "realtime/engineio/sid.hpp"
#include "realtime/socketio/client.hpp"
#include "realtime/socketio/namespace.hpp"
#include "realtime/socketio/server.hpp"

namespace parley::socketio {

Socket::Socket(Client& client, Namespace& nsp, std::uint64_t id, SocketData data)
    : client_(client), nsp_(nsp), id_(id), data_(std::move(data)) {}

// Rooms were left when the socket disconnected (Client::remove_socket); the namespace may
// already be gone when a disposed socket is finally destroyed, so nothing here touches it.
Socket::~Socket() = default;

SocketRef Socket::ref() const noexcept {
  auto& session = client_.session();
  return SocketRef{static_cast<std::uint32_t>(session.thread_index()), session.key(), id_};
}

std::string Socket::id() const { return engineio::encode_id(id_); }

int Socket::thread_index() const noexcept { return client_.session().thread_index(); }

bool Socket::send(const EncodedPacket& packet) {
  if (!connected_) return false;
  return client_.session().send(packet.frames);
}

bool Socket::emit(std::string_view event, const boost::json::array& args, std::span<const std::string> attachments) {
  if (!connected_) return false;
  return send(encode_event(nsp_.name(), event, args, std::nullopt, attachments));
}

bool Socket::emit_with_ack(std::string_view event, const boost::json::array& args, AckCallback on_ack,
                           std::span<const std::string> attachments) {
  if (!connected_) return false;
  const std::uint64_t id = next_ack_id_++;
  if (!send(encode_event(nsp_.name(), event, args, id, attachments))) return false;
  if (acks_.size() >= kMaxPendingAcks) acks_.erase(acks_.begin());
  acks_.emplace_back(id, std::move(on_ack));
  return true;
}

void Socket::on_ack(const Packet& packet) {
  if (!packet.id) return;
  for (auto it = acks_.begin(); it != acks_.end(); ++it) {
    if (it->first != *packet.id) continue;
    AckCallback callback = std::move(it->second);
    acks_.erase(it);
    if (callback) callback(packet);
    return;
  }
}

bool Socket::join(std::string_view room) {
  if (!connected_) return false;
  const auto result =
      nsp_.rooms(thread_index()).join(*this, room, client_.server().options().max_rooms_per_socket);
  return result != RoomIndex::JoinResult::limit_reached;
}

bool Socket::leave(std::string_view room) {
  if (!connected_) return false;
  return nsp_.rooms(thread_index()).leave(*this, room);
}

void Socket::leave_all() {
  if (connected_) nsp_.rooms(thread_index()).leave_all(*this);
}

bool Socket::in(std::string_view room) const {
  return connected_ && nsp_.rooms(thread_index()).contains(*this, room);
}

void Socket::disconnect(bool close_connection) {
  if (!connected_) return;
  send(encode_control(PacketType::disconnect, nsp_.name()));
  Client& client = client_;
  client.remove_socket(*this, DisconnectReason::server_namespace_disconnect);
  if (close_connection) client.session().close(engineio::CloseReason::forced_close);
}

}  // namespace parley::socketio
