#include "realtime/socketio/ack.hpp"

#include "realtime/socketio/namespace.hpp"
#include "realtime/socketio/outgoing.hpp"
#include "realtime/socketio/server.hpp"

namespace parley::socketio {

std::string_view to_string(DisconnectReason reason) noexcept {
  switch (reason) {
    case DisconnectReason::client_namespace_disconnect: return "client namespace disconnect";
    case DisconnectReason::server_namespace_disconnect: return "server namespace disconnect";
    case DisconnectReason::transport_close: return "transport close";
    case DisconnectReason::transport_error: return "transport error";
    case DisconnectReason::parse_error: return "parse error";
    case DisconnectReason::ping_timeout: return "ping timeout";
    case DisconnectReason::forced_close: return "forced close";
    case DisconnectReason::server_shutting_down: return "server shutting down";
    case DisconnectReason::slow_consumer: return "slow consumer";
  }
  return "transport close";
}

Ack::Ack(Server& server, const Namespace& nsp, SocketRef socket, std::uint64_t id)
    : state_(std::make_shared<State>()) {
  state_->server = &server;
  state_->nsp = &nsp;
  state_->socket = socket;
  state_->id = id;
}

bool Ack::send(const boost::json::array& args, std::vector<std::string> attachments) const {
  if (!state_ || state_->used.exchange(true, std::memory_order_acq_rel)) return false;
  // Encode on the calling thread; only the queueing happens on the socket's thread.
  SharedPacket packet = share(encode_ack(state_->nsp->name(), state_->id, args, attachments));
  state_->server->send_to(state_->socket, std::move(packet));
  return true;
}

bool Ack::send_raw(std::string_view json_arg) const {
  if (!state_ || state_->used.exchange(true, std::memory_order_acq_rel)) return false;
  SharedPacket packet = share(encode_ack_raw(state_->nsp->name(), state_->id, json_arg));
  state_->server->send_to(state_->socket, std::move(packet));
  return true;
}

}  // namespace parley::socketio
