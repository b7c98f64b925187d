#include "realtime/socketio/client.hpp"

#include <boost/json/object.hpp>

#include "realtime/socketio/namespace.hpp"
#include "realtime/socketio/outgoing.hpp"
#include "realtime/socketio/server.hpp"

namespace parley::socketio {

namespace json = boost::json;

namespace {

DisconnectReason disconnect_reason(engineio::CloseReason reason) {
  using engineio::CloseReason;
  switch (reason) {
    case CloseReason::transport_close: return DisconnectReason::transport_close;
    case CloseReason::transport_error: return DisconnectReason::transport_error;
    case CloseReason::parse_error: return DisconnectReason::parse_error;
    case CloseReason::ping_timeout: return DisconnectReason::ping_timeout;
    case CloseReason::forced_close: return DisconnectReason::forced_close;
    case CloseReason::server_shutdown: return DisconnectReason::server_shutting_down;
    case CloseReason::slow_consumer: return DisconnectReason::slow_consumer;
  }
  return DisconnectReason::transport_close;
}

}  // namespace

Client::Client(Server& server) : server_(server) {}

Client::~Client() {
  // Only when the session is destroyed without having closed (the server itself is going
  // away): leave the rooms without running handlers.
  for (auto& socket : sockets_) {
    if (!socket->connected_) continue;
    socket->connected_ = false;
    socket->nsp().on_socket_removed(*socket);
  }
}

Socket* Client::find_socket(std::uint64_t id) noexcept {
  for (auto& socket : sockets_)
    if (socket->id_ == id) return socket.get();
  return nullptr;
}

Socket* Client::socket_for(std::string_view nsp) noexcept {
  for (auto& socket : sockets_)
    if (socket->nsp().name() == nsp) return socket.get();
  return nullptr;
}

bool Client::pending_for(std::string_view nsp) const noexcept {
  for (const auto& pending : pending_)
    if (pending.nsp->name() == nsp) return true;
  return false;
}

void Client::protocol_error() {
  if (!closed_) session_->close(engineio::CloseReason::parse_error);
}

// ---- Engine.IO events ----

void Client::on_open(engineio::Session& session) {
  session_ = &session;
  session.thread().schedule(*this, realtime::ThreadContext::Clock::now() + server_.options().connect_timeout);
}

void Client::on_timer() {
  // The connect timeout: no namespace joined in time.
  if (!closed_ && sockets_.empty()) session_->close(engineio::CloseReason::forced_close);
}

void Client::on_message(engineio::Session&, std::string_view text) {
  if (closed_) return;
  if (reconstructor_ && reconstructor_->awaiting_attachments()) return protocol_error();
  const bool binary_packet = !text.empty() && (text.front() == '5' || text.front() == '6');
  if (binary_packet) {
    if (!reconstructor_) reconstructor_ = std::make_unique<Reconstructor>(server_.options().decode);
    auto added = reconstructor_->add_text(text);
    if (!added) return protocol_error();
    if (!added->has_value()) return;  // attachments follow
    Packet packet = std::move(**added);
    reconstructor_.reset();
    return on_packet(packet);
  }
  auto decoded = decode_text(text, server_.options().decode);
  if (!decoded) return protocol_error();
  on_packet(decoded->packet);
}

void Client::on_binary(engineio::Session&, std::string_view bytes) {
  if (closed_) return;
  if (!reconstructor_ || !reconstructor_->awaiting_attachments()) return protocol_error();
  auto added = reconstructor_->add_binary(std::string(bytes));
  if (!added) return protocol_error();
  if (!added->has_value()) return;
  Packet packet = std::move(**added);
  reconstructor_.reset();
  on_packet(packet);
}

void Client::on_close(engineio::Session&, engineio::CloseReason reason) {
  if (closed_) return;
  closed_ = true;
  cancel_timer();
  pending_.clear();
  reconstructor_.reset();
  const DisconnectReason why = disconnect_reason(reason);
  while (!sockets_.empty()) remove_socket(*sockets_.back(), why);
}

// ---- Socket.IO packets ----

void Client::on_packet(Packet& packet) {
  switch (packet.type) {
    case PacketType::connect:
      return on_connect(packet);
    case PacketType::disconnect:
      if (Socket* socket = socket_for(packet.nsp)) return remove_socket(*socket, DisconnectReason::client_namespace_disconnect);
      std::erase_if(pending_, [&](const PendingConnect& pending) { return pending.nsp->name() == packet.nsp; });
      return;
    case PacketType::event:
    case PacketType::binary_event:
      if (Socket* socket = socket_for(packet.nsp)) socket->nsp().dispatch_event(*socket, packet);
      return;
    case PacketType::ack:
    case PacketType::binary_ack:
      if (Socket* socket = socket_for(packet.nsp)) socket->on_ack(packet);
      return;
    case PacketType::connect_error:
      return protocol_error();  // only servers send it
  }
}

void Client::on_connect(Packet& packet) {
  Namespace* nsp = server_.find_namespace(packet.nsp);
  if (nsp == nullptr) {
    json::object error;
    error["message"] = "Invalid namespace";
    const json::value data = std::move(error);
    session_->send(encode_control(PacketType::connect_error, packet.nsp, &data).frames);
    return;
  }
  // A repeated CONNECT for a namespace already joined (or being decided) is ignored.
  if (socket_for(nsp->name()) || pending_for(nsp->name())) return;
  auto state = std::make_shared<ConnectRequest::State>();
  state->server = &server_;
  state->nsp = nsp;
  state->thread = static_cast<std::uint32_t>(session_->thread_index());
  state->session = session_->key();
  state->pending_id = ++next_pending_id_;
  state->auth = packet.data ? std::move(*packet.data) : json::value(json::object());
  pending_.push_back({state->pending_id, nsp});
  nsp->dispatch_connect(ConnectRequest(std::move(state)));
}

void Client::on_connect_decision(std::uint64_t pending_id, bool accepted, SocketData data, const json::value& refusal,
                                 const json::value& auth) {
  if (closed_) return;
  const auto it = std::find_if(pending_.begin(), pending_.end(),
                               [pending_id](const PendingConnect& pending) { return pending.id == pending_id; });
  if (it == pending_.end()) return;  // the client left the namespace meanwhile
  Namespace& nsp = *it->nsp;
  pending_.erase(it);
  if (!accepted) {
    json::value payload = refusal;
    if (!payload.is_object() && !payload.is_string()) {
      json::object fallback;
      fallback["message"] = "connection refused";
      payload = std::move(fallback);
    }
    session_->send(encode_control(PacketType::connect_error, nsp.name(), &payload).frames);
    return;
  }
  std::uint64_t id = 0;
  do {
    id = session_->thread().random_u64();
  } while (id == 0 || find_socket(id) != nullptr);
  sockets_.push_back(std::make_unique<Socket>(*this, nsp, id, std::move(data)));
  Socket& socket = *sockets_.back();
  cancel_timer();
  nsp.on_socket_added(socket);
  json::object answer;
  answer["sid"] = socket.id();
  const json::value payload = std::move(answer);
  session_->send(encode_control(PacketType::connect, nsp.name(), &payload).frames);
  nsp.dispatch_connection(socket, auth);
}

void Client::remove_socket(Socket& socket, DisconnectReason reason) {
  if (!socket.connected_) return;
  // Not connected from here on (emits fail, a nested disconnect() is a no-op), but the rooms
  // are still joined while the handler runs.
  socket.connected_ = false;
  socket.acks_.clear();
  socket.nsp().dispatch_disconnect(socket, reason);
  socket.nsp().on_socket_removed(socket);
  const auto it = std::find_if(sockets_.begin(), sockets_.end(),
                               [&socket](const std::unique_ptr<Socket>& owned) { return owned.get() == &socket; });
  if (it == sockets_.end()) return;
  std::unique_ptr<Socket> owned = std::move(*it);
  sockets_.erase(it);
  session_->thread().dispose(std::move(owned));
}

}  // namespace parley::socketio
